"""Tables of the zoo for people: `zoo list`, `zoo info` and docs/MODELS.md."""

from __future__ import annotations

import zoo.families  # noqa: F401  (registers every model family)
from zoo.core import backend, hub, registry


def rows(pattern: str = "*") -> list[dict]:
    """One machine-readable row per model: name, task, dataset, params, size, metrics (no backend).

    Example:
        >>> [row["name"] for row in rows("mnist_*")]
        ['mnist_cnn', 'mnist_mlp']
    """
    records = hub.manifest()
    out = []
    for name in registry.names(pattern):
        spec = registry.get(name)
        record = records.get(name, {})
        out.append(
            {
                "name": name,
                "task": spec.kind,
                "dataset": spec.dataset,
                "params": record.get("params"),
                "weights_bytes": record.get("bytes"),
                "metrics": {b: m["metrics"] for b, m in record.get("metrics", {}).items()},
                "tta": {b: m["tta"]["metrics"] for b, m in record.get("metrics", {}).items() if "tta" in m},
                "description": spec.description,
            }
        )
    return out


def _headline(row: dict, backend_name: str) -> str:
    metrics = row["metrics"].get(backend_name)
    if not metrics:
        return "-"
    return registry.get(row["name"]).tasks().headline_text(metrics, row["tta"].get(backend_name))


def text(table: list[dict]) -> str:
    header = f"{'name':<18} {'task':<22} {'dataset':<12} {'params':>8} {'size':>8}  " + "  ".join(
        f"{b:<11}" for b in backend.BACKENDS
    )
    lines = [header]
    for row in table:
        size = f"{row['weights_bytes'] / 1e3:.0f} kB" if row["weights_bytes"] else "-"
        lines.append(
            f"{row['name']:<18} {row['task']:<22} {row['dataset']:<12} {row['params'] or 0:>8,} {size:>8}  "
            + "  ".join(f"{_headline(row, b):<11}" for b in backend.BACKENDS)
        )
    lines.append(
        "(measured by `zoo eval` on each backend: full test split; agents: 100 greedy episodes; "
        "char_gpt: validation split, nats/char; dcgan_mnist: mnist_cnn agreement on 10,000 samples; "
        "recommenders: anime test split, full ranking; ts_transformer: next-day QLIKE, 26 assets 2008-2017)"
    )
    return "\n".join(lines)


def markdown(table: list[dict]) -> str:
    lines = [
        "| model | task | dataset | params | weights | " + " | ".join(backend.BACKENDS) + " |",
        "| --- | --- | --- | ---: | ---: | " + " | ".join("---:" for _ in backend.BACKENDS) + " |",
    ]
    for row in table:
        size = f"{row['weights_bytes'] / 1e3:.0f} kB" if row["weights_bytes"] else "-"
        lines.append(
            f"| `{row['name']}` | {row['task']} | {row['dataset']} | {row['params'] or 0:,} | {size} | "
            + " | ".join(_headline(row, b) for b in backend.BACKENDS)
            + " |"
        )
    return "\n".join(lines)


def card_text(card: dict) -> str:
    lines = [f"{card['name']}: {card['description']}", ""]
    for key in ("task", "dataset", "output", "license"):
        lines.append(f"{key:<10} {card[key]}")
    lines.append(f"{'params':<10} {card['params'] or 0:,}")
    lines.append("input")
    lines += [f"  {k}: {v}" for k, v in card["input"].items()]
    weights = card["weights"]
    lines.append(
        f"weights    {weights['file']} ({weights['bytes']:,} bytes, sha256 {weights['sha256'][:16]}...)"
        if weights
        else "weights    none shipped"
    )
    lines.append("metrics (measured by `zoo eval` per backend)")
    for backend_name, result in card["metrics"].items():
        shown = ", ".join(f"{k} {v:.4f}" for k, v in result["metrics"].items() if isinstance(v, (int, float)))
        lines.append(f"  {backend_name:<11} {shown}  ({result['split']}, n={result['n']})")
        if "tta" in result:
            tta = ", ".join(f"{k} {v:.4f}" for k, v in result["tta"]["metrics"].items())
            lines.append(f"  {'':<11} {tta}  (with left-right flip TTA)")
    if card.get("int8"):
        lines.append("int8 (measured by `zoo quantize --int8` per backend)")
        for backend_name, q in card["int8"].items():
            before, after = q["float32"], q["int8"]
            lines.append(
                f"  {backend_name:<11} {before['bytes'] / 1e6:.2f} MB -> {after['bytes'] / 1e6:.2f} MB, "
                f"accuracy {before['metrics']['accuracy']:.4f} -> {after['metrics']['accuracy']:.4f} "
                f"({q['split']}, n={q['n']})"
            )
    if card.get("base"):  # a model directory
        lines.append(f"{'base':<10} {card['base']['model']} (sha256 {str(card['base']['sha256'])[:16]}...)")
        lines += [f"{'data':<10} {k}: {v}" for k, v in card["data"].items()]
    recipe = card["recipe"]
    lines.append("recipe")
    lines += [f"  {k}: {v}" for k, v in recipe.items() if v is not None]
    for ref in card["references"]:
        lines.append(f"reference  {ref}")
    return "\n".join(lines)
