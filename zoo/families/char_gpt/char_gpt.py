"""char_gpt: a GPT-style character language model on Tiny Shakespeare, built from keras-hub layers.

Token + position embeddings, a stack of pre-norm `keras_hub.layers.TransformerDecoder` blocks
(causal self-attention only), a final layer norm and the token embedding reused as the output
projection (weight tying, as in GPT-2). `call_with_cache` runs any number of new positions
against a key/value cache, so sampling costs one position per new character.
"""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
from keras import ops

from zoo.families.char_gpt import CONFIG, VOCABULARY, text  # noqa: F401  (VOCABULARY: for callers)
from zoo.families.char_gpt.language_modeling import LMRecipe


@keras.saving.register_keras_serializable(package="zoo")
class CharGPT(keras.Model):
    """Decoder-only transformer over character ids; returns next-character logits per position."""

    def __init__(self, vocabulary_size, context, layers, dim, heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary_size, self.context = vocabulary_size, context
        self.num_layers, self.dim, self.heads, self.dropout = layers, dim, heads, dropout
        self.token_embedding = keras_hub.layers.ReversibleEmbedding(
            vocabulary_size,
            dim,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="token_embedding",
        )
        self.position_embedding = keras_hub.layers.PositionEmbedding(
            context, initializer=keras.initializers.RandomNormal(stddev=0.02), name="position_embedding"
        )
        self.embedding_dropout = keras.layers.Dropout(dropout)
        self.blocks = [
            keras_hub.layers.TransformerDecoder(
                intermediate_dim=4 * dim,
                num_heads=heads,
                dropout=dropout,
                activation="gelu",
                normalize_first=True,
                kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
                name=f"block_{i}",
            )
            for i in range(layers)
        ]
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")

    def call(self, tokens, training=False):
        logits, _ = self.call_with_cache(tokens, None, 0, training=training)
        return logits

    def call_with_cache(self, tokens, cache, index, training=False):
        """Logits for `tokens` placed at positions index.. and the updated cache.

        cache: None (no cache) or (batch, layers, 2, context, heads, head_dim) keys and values.
        """
        x = self.token_embedding(tokens)
        x = x + self.position_embedding(x, start_index=index)
        x = self.embedding_dropout(x, training=training)
        updated = []
        for i, block in enumerate(self.blocks):
            if cache is None:
                x = block(x, training=training)
            else:
                x, layer_cache = block(
                    x,
                    self_attention_cache=cache[:, i],
                    self_attention_cache_update_index=index,
                    training=training,
                )
                updated.append(layer_cache)
        x = self.final_norm(x)
        logits = self.token_embedding(x, reverse=True)
        return logits, (ops.stack(updated, axis=1) if cache is not None else None)

    def empty_cache(self, batch_size: int):
        head_dim = self.dim // self.heads
        return ops.zeros((batch_size, self.num_layers, 2, self.context, self.heads, head_dim))

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "context": self.context,
            "layers": self.num_layers,
            "dim": self.dim,
            "heads": self.heads,
            "dropout": self.dropout,
        }


def build(config: dict | None = None) -> CharGPT:
    config = {**CONFIG, **(config or {})}
    model = CharGPT(
        vocabulary_size=len(config["vocabulary"]),
        context=config["context"],
        layers=config["layers"],
        dim=config["dim"],
        heads=config["heads"],
        dropout=config["dropout"],
        name="char_gpt",
    )
    model(np.zeros((1, config["context"]), dtype="int32"))  # create the variables
    model.tokenizer = text.CharTokenizer(config["vocabulary"])
    return model


RECIPE = LMRecipe(
    epochs=10,
    steps_per_epoch=230,
    batch_size=32,
    peak_learning_rate=2e-3,
    warmup_steps=200,
    weight_decay=0.1,
    notes=(
        "random 256-character windows; AdamW, warmup then cosine to 10%; dropout 0.1 (trained on "
        "tensorflow, where it costs nothing: jax and torch CPU run 0.6x and 0.45x with it); the epoch "
        "of lowest validation loss is shipped"
    ),
)
