"""char_gpt fine-tuned on a text of another style: Python's own reference documentation (the `pydoc`
topics shipped with CPython, offline), held-out loss before and after and a sample from each.

The documentation uses characters Tiny Shakespeare lacks (digits, brackets, quotes, ...). `zoo finetune`
refuses those rather than growing the vocabulary, so this script does what a user would: double quotes
and backquotes become "'", every other unknown character a space, and runs of spaces collapse.
Writes docs/finetune/char_gpt.json.

    KERAS_BACKEND=torch python -m benchmarks.finetune_text      # about 5 minutes on 2 cores
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import zoo
from zoo.core.finetuning import FinetuneOptions

OUT = Path("docs/finetune")
CHARACTERS = 200_000
PROMPT = "The "


def documentation_text(vocabulary: str) -> str:
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[key] for key in sorted(topics))
    text = text.replace('"', "'").replace("`", "'")
    text = "".join(c if c in vocabulary else " " for c in text)
    text = re.sub(r"[ ]{2,}", " ", text)
    return text[:CHARACTERS]


def main() -> None:
    base = zoo.load("char_gpt")
    text = documentation_text(base.tokenizer.vocabulary)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "python_docs.txt"
        data.write_text(text, encoding="utf-8")
        result = zoo.task("char_gpt").finetune(data, FinetuneOptions(out_dir=Path(tmp) / "model", verbose=2))
        tuned = zoo.load(str(Path(tmp) / "model"))
        options = {"prompt": PROMPT, "max_new": 300, "sampler": "top_k", "k": 5, "seed": 0}
        samples = {
            "shipped": zoo.task("char_gpt").generate(base, options)["text"],
            "fine-tuned": zoo.task(str(Path(tmp) / "model")).generate(tuned, options)["text"],
        }
    record = {
        "backend": result["backend"],
        "text": f"the first {CHARACTERS:,} characters of CPython's pydoc topics (mapped to the vocabulary)",
        "held_out_characters": result["n_val"],
        "base_loss": result["base_metrics"]["val_loss"],
        "fine_tuned_loss": result["metrics"]["val_loss"],
        "best_epoch": result["best_epoch"],
        "wall_time_s": result["wall_time_s"],
        "samples": samples,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "char_gpt.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
