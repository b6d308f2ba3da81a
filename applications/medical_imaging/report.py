"""The report a person reads: report.html with tables and PNG figures, plus metrics.json."""

from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

import zoo  # noqa: E402
from applications.medical_imaging import DISCLAIMER  # noqa: E402
from applications.medical_imaging.gradcam import gradcam, overlay  # noqa: E402
from zoo.core.atomic import atomic_path, atomic_write_json  # noqa: E402


def _save(fig, path: Path) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return path.name


def roc_figure(result: dict, out: Path) -> str:
    arrays = result["_arrays"]
    fpr, tpr, _ = roc_curve(arrays["y"], arrays["p"])
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"AUC {result['metrics']['auc']:.3f}")
    for name, point, marker in (
        ("0.5", result["at_0.5"], "s"),
        ("operating point", result["at_operating_point"], "o"),
    ):
        ax.plot(1 - point["specificity"], point["sensitivity"], marker, label=f"threshold {name}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title=f"ROC, {result['dataset']} test")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, out / "roc.png")


def reliability_figure(result: dict, out: Path) -> str:
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    for key, label in (
        ("raw", "raw"),
        ("temperature_scaled", f"T = {result['operating_point']['temperature']:.2f}"),
    ):
        bins = result["reliability"][key]
        ax.plot(bins["predicted"], bins["observed"], "o-", label=label)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    ax.set(xlabel="predicted probability of disease", ylabel="observed rate", title="reliability (test)")
    ax.legend(fontsize=8)
    return _save(fig, out / "reliability.png")


def confusion_figure(result: dict, out: Path) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
    for ax, (title, point) in zip(
        axes,
        (("threshold 0.5", result["at_0.5"]), ("operating point", result["at_operating_point"])),
        strict=True,
    ):
        matrix = np.asarray(point["confusion"])
        ax.imshow(matrix, cmap="Blues")
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=12)
        ax.set(
            xticks=[0, 1],
            yticks=[0, 1],
            xticklabels=["no disease", "disease"],
            yticklabels=["no disease", "disease"],
            xlabel="decision",
            ylabel="truth",
            title=title,
        )
    fig.tight_layout()
    return _save(fig, out / "confusion.png")


def gradcam_figure(result: dict, out: Path, per_group: int = 6) -> str:
    """Test cases the model got right and wrong at the operating point, with their heatmaps."""
    spec = zoo.card(result["model"])
    arrays = result["_arrays"]
    decided = arrays["p"] >= result["operating_point"]["threshold"]
    correct = np.flatnonzero(decided == arrays["y"])[:per_group]
    wrong = np.flatnonzero(decided != arrays["y"])[:per_group]
    rows = [("correct", correct), ("wrong", wrong)]
    fig, axes = plt.subplots(2, per_group, figsize=(1.6 * per_group, 4.6))
    cams = gradcam(
        zoo.load(spec["name"]), arrays["x"][np.r_[correct, wrong]], spec["options"]["positive_label"]
    )
    k = 0
    for row, (name, cases) in enumerate(rows):
        for col in range(per_group):
            ax = axes[row, col]
            if col >= len(cases):
                ax.axis("off")
                continue
            i = cases[col]
            truth = "disease" if arrays["y"][i] else "no disease"
            overlay(
                ax,
                arrays["x"][i],
                cams[k],
                f"{name}: {truth}\np={arrays['p'][i]:.2f}",
                "black" if name == "correct" else "red",
            )
            k += 1
    fig.suptitle(f"Grad-CAM of the disease score ({result['dataset']} test, {result['backend']})", fontsize=9)
    fig.tight_layout()
    return _save(fig, out / "gradcam.png")


def write(result: dict, out: str | Path) -> Path:
    """Figures, metrics.json and report.html in `out`; returns the report's path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    figures = [
        roc_figure(result, out),
        reliability_figure(result, out),
        confusion_figure(result, out),
        gradcam_figure(result, out),
    ]
    record = {k: v for k, v in result.items() if not k.startswith("_")}
    atomic_write_json(out / "metrics.json", record)
    metrics = result["metrics"]
    rows = [
        ("accuracy (threshold 0.5)", f"{metrics['accuracy']:.3f}"),
        (
            "ROC AUC (bootstrap 95% CI)",
            f"{metrics['auc']:.3f} ({metrics['auc_ci95'][0]:.3f}-{metrics['auc_ci95'][1]:.3f})",
        ),
        (
            f"sensitivity / specificity at the operating point (threshold {metrics['threshold']:.3f}, "
            f"target sensitivity {result['operating_point']['target_sensitivity']} on validation)",
            f"{metrics['sensitivity']:.3f} / {metrics['specificity']:.3f}",
        ),
        ("accuracy at the operating point", f"{metrics['accuracy_at_operating_point']:.3f}"),
        (
            f"accuracy at the model card's threshold (P = {result['at_card_threshold']['threshold']:.3f}, "
            "chosen on validation for accuracy; `zoo eval`'s figure)",
            f"{metrics['accuracy_at_card_threshold']:.3f}",
        ),
        (
            "sensitivity / specificity at 0.5",
            f"{result['at_0.5']['sensitivity']:.3f} / {result['at_0.5']['specificity']:.3f}",
        ),
        ("ECE raw / temperature-scaled", f"{metrics['ece']:.3f} / {metrics['ece_temperature_scaled']:.3f}"),
        (
            "validation NLL raw / temperature-scaled",
            f"{result['validation']['nll']:.3f} / {result['validation']['nll_temperature_scaled']:.3f}",
        ),
    ]
    table = "\n".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in rows)
    images = "\n".join(f'<img src="{name}" alt="{name}" style="max-width:48%">' for name in figures)
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{result["model"]} on {result["dataset"]}</title></head>
<body style="font-family: sans-serif; max-width: 1000px; margin: auto">
<p style="background:#fee; padding:8px"><b>{html.escape(DISCLAIMER)}</b></p>
<h1>{result["model"]} on {result["dataset"]} (test split, n={result["n"]}, {result["backend"]})</h1>
<p>Positive class: {html.escape(result["positive_class"])}. Temperature and threshold were fitted on the
validation split ({result["validation"]["n"]} images); the test split was used once, for these figures.</p>
<table border="1" cellpadding="4" style="border-collapse: collapse">{table}</table>
<div>{images}</div>
</body></html>
"""
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(page)
    return out / "report.html"
