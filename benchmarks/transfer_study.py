"""Transfer vs training from scratch, over training-set sizes, with `zoo finetune` as a user runs it.

Two small real sets:
  BreastMNIST (546 training ultrasound images): from pneumonia_resnet's weights (chest X-rays), from
    cifar_resnet's (photos, images resized to 32x32 RGB), and the same ResNet from random weights.
  scikit-learn's digits (1,797 8x8 scans, bundled with scikit-learn, upscaled to 28x28 as image files
    would be): from mnist_cnn's weights and from random weights.

Each cell: a seeded stratified subset of the training images, the dataset's validation split (BreastMNIST)
or a fixed 20% (digits) for the choices `zoo finetune` makes, and the test split measured once. Writes
docs/finetune/transfer.json and docs/finetune/transfer.png.

    KERAS_BACKEND=jax python -m benchmarks.transfer_study            # about 40 minutes on 2 cores
    KERAS_BACKEND=jax python -m benchmarks.transfer_study --quick    # a smoke run
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import zoo
from zoo.core.finetuning import FinetuneOptions

OUT = Path("docs/finetune")


def breast_splits() -> dict:
    return {s: zoo.datasets.load("breastmnist", s) for s in ("train", "val", "test")}


def digits_splits() -> dict:
    """scikit-learn's 8x8 digits as 28x28 0-255 images (PIL's resize, as `zoo finetune` does with files)."""
    from PIL import Image
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.stack(
        [
            np.asarray(
                Image.fromarray((d * 255 / 16).astype("uint8")).resize((28, 28), Image.Resampling.LANCZOS)
            )
            for d in digits.images
        ]
    )
    rest, test = train_test_split(
        np.arange(len(images)), test_size=497, stratify=digits.target, random_state=0
    )
    train, val = train_test_split(rest, test_size=260, stratify=digits.target[rest], random_state=0)
    return {
        name: (images[rows], digits.target[rows])
        for name, rows in (("train", train), ("val", val), ("test", test))
    }


def subset(x, y, n, seed):
    """n training images, each class keeping its share (at least 2 per class)."""
    if n >= len(y):
        return x, y
    from sklearn.model_selection import train_test_split

    rows, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return x[np.sort(rows)], y[np.sort(rows)]


def cell(base, splits, classes, n, seed, from_scratch, epochs, freeze_epochs, work: Path) -> dict:
    data = work / f"{base}-{n}-{seed}-{'scratch' if from_scratch else 'transfer'}"
    data.mkdir(parents=True)
    x, y = subset(*splits["train"], n, seed)
    np.savez(data / "train.npz", x=x, y=y, classes=np.array(classes))
    np.savez(data / "val.npz", x=splits["val"][0], y=splits["val"][1], classes=np.array(classes))
    np.savez(work / "test.npz", x=splits["test"][0], y=splits["test"][1], classes=np.array(classes))
    out = data / "model"
    started = time.time()
    result = zoo.task(base).finetune(
        data,
        FinetuneOptions(
            out_dir=out,
            epochs=epochs,
            freeze_epochs=freeze_epochs,
            seed=seed,
            from_scratch=from_scratch,
            verbose=0,
        ),
    )
    test = zoo.task(str(out)).evaluate(zoo.load(str(out)), data=work / "test.npz")
    settings = zoo.card(str(out))["recipe"]
    return {
        "base": base,
        "init": "scratch" if from_scratch else "transfer",
        "n_train": len(y),
        "seed": seed,
        "val": result["metrics"],
        "test": test["metrics"],
        "best_epoch": result["best_epoch"],
        "epochs": settings["epochs"],
        "freeze_epochs": settings["freeze_epochs"],
        "base_val": result["base_metrics"],
        "seconds": round(time.time() - started, 1),
    }


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    studies = sorted({r["study"] for r in rows})
    fig, axes = plt.subplots(1, len(studies), figsize=(5.5 * len(studies), 4))
    for ax, study in zip(np.atleast_1d(axes), studies, strict=True):
        mine = [r for r in rows if r["study"] == study]
        for label in sorted({r["label"] for r in mine}):
            sizes = sorted({r["n_train"] for r in mine if r["label"] == label})
            acc = [
                [r["test"]["accuracy"] for r in mine if r["label"] == label and r["n_train"] == n]
                for n in sizes
            ]
            mean, low, high = (np.array([f(a) for a in acc]) for f in (np.mean, np.min, np.max))
            ax.plot(sizes, mean, marker="o", label=label)
            ax.fill_between(sizes, low, high, alpha=0.2)
        ax.set_xscale("log")
        ticks = sorted({r["n_train"] for r in mine})
        ax.set_xticks(ticks, [str(n) for n in ticks])
        ax.minorticks_off()
        ax.set_xlabel("training images")
        ax.set_ylabel("test accuracy (mean, min-max over seeds)")
        ax.set_title(study)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def markdown(rows: list[dict]) -> str:
    """Test accuracy (and AUC for two classes), mean over seeds with the range, per size and start."""
    lines = []
    for study in sorted({r["study"] for r in rows}):
        mine = [r for r in rows if r["study"] == study]
        sizes = sorted({r["n_train"] for r in mine})
        auc = ", AUC" if "auc" in mine[0]["test"] else ""
        lines += [f"**{study}** (test accuracy{auc}; mean over seeds, min-max in brackets)", "",
                  "| start | " + " | ".join(f"{n} images" for n in sizes) + " |",
                  "| --- |" + " ---: |" * len(sizes)]  # fmt: skip
        for label in sorted({r["label"] for r in mine}):
            cells = []
            for n in sizes:
                cell = [r for r in mine if r["label"] == label and r["n_train"] == n]
                if not cell:
                    cells.append("-")
                    continue
                acc = [r["test"]["accuracy"] for r in cell]
                shown = (
                    f"{np.mean(acc):.3f} [{min(acc):.3f}-{max(acc):.3f}]" if len(acc) > 1 else f"{acc[0]:.3f}"
                )
                if "auc" in cell[0]["test"]:
                    shown += f", AUC {np.mean([r['test']['auc'] for r in cell]):.3f}"
                cells.append(f"{shown} (n={len(cell)})")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="run only the cells whose label contains this text")
    parser.add_argument("--sizes", help="comma-separated training-set sizes to run (default: all)")
    parser.add_argument("--seeds", type=int, help="seeds per cell (default: 3; cifar_resnet 1)")
    parser.add_argument("--rows", nargs="*", default=[], help="JSON-lines files of earlier cells to merge in")
    args = parser.parse_args()
    epochs, freeze = (2, 1) if args.quick else (None, None)  # None: `zoo finetune`'s defaults
    studies = [
        ("BreastMNIST", breast_splits, ["malignant", "normal or benign"],
         [("pneumonia_resnet", False, "from pneumonia_resnet", 3),
          ("cifar_resnet", False, "from cifar_resnet", 1),
          ("pneumonia_resnet", True, "random init (same ResNet)", 3)], [50, 100, 200, 546]),
        ("digits (scikit-learn)", digits_splits, [str(d) for d in range(10)],
         [("mnist_cnn", False, "from mnist_cnn", 3), ("mnist_cnn", True, "random init (same CNN)", 3)],
         [50, 100, 200, 1040]),
    ]  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for study, load, classes, inits, sizes in studies:
            splits = None
            for base, scratch, label, n_seeds in inits:
                if args.only and args.only not in label:
                    continue
                chosen = [n for n in sizes if not args.sizes or str(n) in args.sizes.split(",")]
                for n in chosen[:2] if args.quick else chosen:
                    for seed in range(1 if args.quick else min(n_seeds, args.seeds or n_seeds)):
                        work = Path(tmp) / study.split()[0]
                        splits = splits or load()
                        row = cell(base, splits, classes, n, seed, scratch, epochs, freeze, work)
                        rows.append({"study": study, "label": label, **row})
                        print(json.dumps(rows[-1]), flush=True)
    for path in args.rows:
        rows += [json.loads(line) for line in Path(path).read_text().splitlines() if line.startswith("{")]
    rows.sort(key=lambda r: (r["study"], r["label"], r["n_train"], r["seed"]))
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    (OUT / f"transfer{suffix}.json").write_text(
        json.dumps({"backend": zoo.core.backend.current(), "rows": rows}, indent=1)
    )
    plot(rows, OUT / f"transfer{suffix}.png")
    (OUT / f"transfer{suffix}.md").write_text(markdown(rows) + "\n")
    print(markdown(rows))


if __name__ == "__main__":
    main()
