"""python -m applications.medical_imaging {evaluate,report,calibrate,predict} ...

Research demo, not a medical device.
"""

from __future__ import annotations

import argparse
import json
import sys

from applications import cli_support
from applications.cli_support import ArgumentParser
from zoo.core.flags import number
from zoo.core.outputs import check_folder

PROG = "python -m applications.medical_imaging"


def build_parser() -> argparse.ArgumentParser:
    from applications.medical_imaging import DISCLAIMER, MODELS

    parser = ArgumentParser(prog=PROG, description=f"MedMNIST classifiers. {DISCLAIMER}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    def with_dataset(p):
        p.add_argument("--dataset", choices=sorted(MODELS), default="pneumoniamnist")
        p.add_argument("--data-dir", help="folder with <dataset>/<dataset>.npz (default: $ZOO_DATA_DIR)")
        return p

    p = with_dataset(commands.add_parser("evaluate", help="test-split metrics of the shipped model"))
    p.add_argument("--json", action="store_true")
    p = with_dataset(commands.add_parser("report", help="report.html, figures and metrics.json"))
    p.add_argument("--out", default="runs/medical_imaging")
    p = with_dataset(commands.add_parser("calibrate", help="fit temperature and threshold on validation"))
    p.add_argument(
        "--target-sensitivity", type=number(0, 1, low_open=True), default=0.95, help="in (0, 1], default 0.95"
    )
    p = with_dataset(commands.add_parser("predict", help="disease probability and Grad-CAM for images"))
    p.add_argument("files", nargs="+", metavar="IMAGE")
    p.add_argument("--out", default="runs/medical_imaging/predict", help="folder for the heatmap PNGs")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli_support.main(PROG, build_parser(), COMMANDS, argv)


def _evaluate(args) -> int:
    from applications.medical_imaging import analysis

    result = analysis.analyse(args.dataset, data_dir=args.data_dir)
    if args.json:
        print(json.dumps(analysis.machine_readable(result)))
        return 0
    metrics = result["metrics"]
    print(
        f"{result['model']} on {args.dataset} test (n={result['n']}, {result['backend']}): "
        f"accuracy {metrics['accuracy']:.3f}, AUC {metrics['auc']:.3f} "
        f"(95% CI {metrics['auc_ci95'][0]:.3f}-{metrics['auc_ci95'][1]:.3f}), "
        f"sensitivity {metrics['sensitivity']:.3f} / specificity {metrics['specificity']:.3f} "
        f"at threshold {metrics['threshold']:.3f}, "
        f"ECE {metrics['ece']:.3f} -> {metrics['ece_temperature_scaled']:.3f} after temperature scaling"
    )
    return 0


def _report(args) -> int:
    from applications.medical_imaging import DISCLAIMER, analysis, report

    check_folder(args.out)
    path = report.write(analysis.analyse(args.dataset, data_dir=args.data_dir), args.out)
    print(f"wrote {path.resolve()}\n{DISCLAIMER}")
    return 0


def _calibrate(args) -> int:
    from applications.medical_imaging import analysis

    print(
        json.dumps(
            analysis.calibrate(args.dataset, args.target_sensitivity, data_dir=args.data_dir), indent=2
        )
    )
    return 0


def _predict(args) -> int:
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import zoo
    from applications.medical_imaging import DISCLAIMER, analysis
    from applications.medical_imaging import metrics as m
    from applications.medical_imaging.gradcam import gradcam, overlay

    spec = analysis.model_for(args.dataset)
    point = analysis.operating_point(args.dataset)
    check_folder(args.out)
    x, sources = zoo.task(spec["name"]).read_inputs(args.files, invert=False, resize=True)
    model = zoo.load(spec["name"])
    positive = spec["options"]["positive_label"]
    p = m.probabilities(
        m.disease_logits(model.predict(x, batch_size=512, verbose=0), positive), point["temperature"]
    )
    cams = gradcam(model, x, positive)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    disease = spec["labels"][positive]
    results = []
    for i, (source, prob, cam) in enumerate(zip(sources, p, cams, strict=True)):
        flagged = bool(prob >= point["threshold"])
        heatmap = out / f"{Path(source).stem}_{i}_gradcam.png"
        fig, ax = plt.subplots(figsize=(3, 3.3))
        overlay(ax, x[i], cam, f"P({disease}) = {prob:.2f}: {'flagged' if flagged else 'not flagged'}")
        fig.savefig(heatmap, dpi=100)
        plt.close(fig)
        results.append(
            {"file": source, "probability": float(prob), "flagged": flagged, "heatmap": str(heatmap)}
        )
    if args.json:
        print(json.dumps({"model": spec["name"], "threshold": point["threshold"], "predictions": results}))
        return 0
    for r in results:
        decision = f"flagged as {disease}" if r["flagged"] else "not flagged"
        print(
            f"{r['file']}: P({disease}) = {r['probability']:.3f}, {decision} at threshold "
            f"{point['threshold']:.3f}; heatmap {r['heatmap']}"
        )
    print(DISCLAIMER, file=sys.stderr)
    return 0


COMMANDS = {"evaluate": _evaluate, "report": _report, "calibrate": _calibrate, "predict": _predict}

if __name__ == "__main__":
    sys.exit(main())
