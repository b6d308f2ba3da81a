"""char_gpt: a GPT-style character language model on Tiny Shakespeare, and what it needs beside
the model: the character tokenizer (text.py), cached decoding with keras-hub samplers
(generation.py), window training and scoring in nats/char (language_modeling.py), its task (task.py).

Registration only (no keras).
"""

from zoo.core.registry import ModelSpec, register
from zoo.families.char_gpt.task import CharacterLanguageModel

# The 65 characters of Tiny Shakespeare, sorted: part of the model, so generation never needs the corpus.
VOCABULARY = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CONFIG = {"vocabulary": VOCABULARY, "context": 256, "layers": 4, "dim": 256, "heads": 8, "dropout": 0.1}

register(
    ModelSpec(
        name="char_gpt",
        task=CharacterLanguageModel,
        module="zoo.families.char_gpt.char_gpt",
        dataset="tinyshakespeare",
        description="GPT-style character model (keras-hub TransformerDecoder x4, d=256) on Tiny Shakespeare.",
        config=CONFIG,
        input={"text": "a prompt made of the 65 Tiny Shakespeare characters", "context": CONFIG["context"]},
        output="next-character logits (batch, length, 65); `zoo generate` samples text",
        references=(
            "Radford et al. 2019, Language Models are Unsupervised Multitask Learners (GPT-2)",
            "Karpathy, nanoGPT shakespeare_char (val loss 1.47 with 10.7M params)",
        ),
    )
)
