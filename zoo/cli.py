"""The `zoo` command line: parses arguments, calls library functions, prints results.

Every failure a user can cause ends with exit code 2 and one sentence on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys

from zoo.core import backend, errors
from zoo.core.flags import ArgumentParser, UsageError, number, whole
from zoo.tasks.base import NotSupported

# Commands that read only the registry and the manifest: they never import keras or a framework.
LIGHT_COMMANDS = {"list", "info", "backends", "weights", "feedback", "data", "launch"}


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="zoo", description="Kerazoo: Keras 3 models on TensorFlow, JAX or PyTorch.")
    parser.add_argument(
        "--backend",
        choices=backend.BACKENDS,
        help="Keras backend for this command (default: $KERAS_BACKEND or tensorflow)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show the frameworks' own start-up messages on stderr"
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    p = commands.add_parser("list", help="every model: task, dataset, size, metrics")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style filter, e.g. 'mnist_*'")
    p.add_argument("--json", action="store_true")
    p.add_argument("--markdown", action="store_true", help="the table docs/MODELS.md holds")

    p = commands.add_parser("info", help="a model's card")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("predict", help="classify PNG/JPEG/NPY files with a pretrained model")
    p.add_argument("name")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--top", type=whole(1, 1000), default=3, help="how many classes to show (1-1000, default 3)"
    )
    p.add_argument(
        "--invert",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="invert pixels (default: detect dark-on-light images and invert them)",
    )
    p.add_argument("--resize", action="store_true", help="scale images to the model's input size")
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("eval", help="measure a model on a dataset split")
    p.add_argument("name")
    p.add_argument("--split", help="dataset split (default: test, or val where there is no test split)")
    p.add_argument("--limit", type=whole(1, 10**9), help="only the first N examples (N >= 1)")
    p.add_argument(
        "--n", type=whole(1, 100_000), help="generators: samples to draw (default 10000); agents: episodes"
    )
    p.add_argument("--sample", action="store_true", help="the bundled real test sample (offline)")
    p.add_argument(
        "--tta",
        action="store_true",
        help="image classifiers: average over left-right flips (cifar_resnet: and 1-pixel translations)",
    )
    p.add_argument("--data-dir", help="folder with the dataset (default: $ZOO_DATA_DIR/<dataset>)")
    p.add_argument(
        "--data", help="your labeled data instead (classifiers: a folder of class subfolders or an .npz)"
    )
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--record", action="store_true", help=argparse.SUPPRESS)  # maintainers
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("train", help="run the recipe that made the shipped weights")
    p.add_argument("name")
    p.add_argument("--epochs", type=whole(1, 10_000), help="epochs (1-10000; default: the recipe's)")
    p.add_argument(
        "--steps",
        type=whole(1, 10**9),
        help="agents: environment steps; language models: optimizer steps per epoch (1-1e9)",
    )
    p.add_argument(
        "--batch-size", type=whole(1, 1_000_000), help="examples per batch (1-1000000; default: the recipe's)"
    )
    p.add_argument("--out", help="run directory (default runs/NAME)")
    p.add_argument("--resume", action="store_true", help="continue after the last finished epoch")
    p.add_argument("--force", action="store_true", help="start again in an --out that holds a checkpoint")
    p.add_argument("--limit", type=whole(1, 10**9), help="train on the first N examples only (N >= 1)")
    p.add_argument(
        "--holdout",
        type=whole(0, 10**9),
        default=0,
        help="keep the last N train examples for validation (N >= 0)",
    )
    p.add_argument(
        "--distribute",
        choices=["data_parallel"],
        help="split each batch over the devices (jax, tensorflow) or zoo launch's processes",
    )
    p.add_argument(
        "--seed", type=whole(0, 2**32 - 1), help="random seed (0-4294967295; default: the recipe's)"
    )
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser(
        "launch",
        help="train in N processes on this host, or on several hosts (docs/SCALING.md)",
        description="Start `zoo train NAME ...` in --nproc processes per host, data-parallel (jax: "
        "jax.distributed; torch: DistributedDataParallel; tensorflow: MultiWorkerMirroredStrategy's "
        "collectives, one host), e.g. "
        "zoo --backend torch launch --nproc 2 train mnist_cnn --out runs/dp",
    )
    p.add_argument(
        "--nproc", type=whole(1, 4096), default=1, help="processes on this host (default 1: one per host)"
    )
    p.add_argument("--nnodes", type=whole(1, 100_000), default=1, help="hosts taking part (default 1)")
    p.add_argument("--node-rank", type=whole(0, 99_999), default=0, help="this host's number, 0..nnodes-1")
    p.add_argument("--master", help="HOST:PORT of rank 0's rendezvous (default: a free port on 127.0.0.1)")
    p.add_argument("zoo_command", nargs=argparse.REMAINDER, metavar="train NAME ...", help="the zoo command")

    p = commands.add_parser("finetune", help="train a pretrained model on your own data (docs/FINETUNING.md)")
    p.add_argument("name", help="a zoo model or a model directory to start from")
    p.add_argument(
        "--data",
        required=True,
        help="classifiers: a folder of class subfolders or an .npz (x, y); char_gpt: a UTF-8 text "
        "or a folder of .txt; linear_regression: a CSV (with --target); recommenders: a CSV of user,item; "
        "ts_transformer: an OHLC CSV or a folder of them",
    )
    p.add_argument("--out", required=True, help="the folder the fine-tuned model is written to")
    p.add_argument(
        "--epochs",
        type=whole(1, 10_000),
        help="epochs in all, frozen ones included (default: at least 400 steps, 10 to 20 epochs)",
    )
    p.add_argument("--batch-size", type=whole(1, 1_000_000), help="examples per batch (default 32)")
    p.add_argument(
        "--steps", type=whole(1, 10**9), help="language models: optimizer steps per epoch (default 100)"
    )
    p.add_argument(
        "--lr",
        type=number(0, 1, low_open=True),
        help="the head's learning rate (default: classifiers 1e-3 with Adam, regression 0.1 with SGD)",
    )
    p.add_argument(
        "--val-split",
        type=number(0, 1, low_open=True, high_open=True),
        help="share of each class held out for validation (default 0.2; a val/ folder beside train/ wins)",
    )
    p.add_argument(
        "--freeze-epochs", type=whole(0, 10_000), help="epochs that train only the head (default: a quarter)"
    )
    p.add_argument("--seed", type=whole(0, 2**32 - 1), help="split and shuffling seed (default 0)")
    p.add_argument("--resume", action="store_true", help="continue after the last finished epoch")
    p.add_argument("--force", action="store_true", help="replace a model already in --out")
    p.add_argument(
        "--skip-bad", action="store_true", help="leave unreadable files out (counted) instead of stopping"
    )
    p.add_argument(
        "--from-scratch", action="store_true", help="random initial weights (a baseline for transfer)"
    )
    p.add_argument("--target", help="regression: the CSV column to predict")
    p.add_argument("--items", help="recommenders: a CSV of item,title[,genres] (genres split by |)")
    p.add_argument("--cut", help="ts_transformer: train before this date, walk forward after it (YYYY-MM-DD)")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("play", help="run a pretrained agent for greedy episodes")
    p.add_argument("name")
    p.add_argument("--episodes", type=whole(1, 100_000), default=100, help="greedy episodes (1-100000)")
    p.add_argument(
        "--seed",
        type=whole(0, 2**31),
        default=0,
        help="episode i uses environment seed SEED+i (0-2147483648)",
    )
    p.add_argument("--gif", help="record the first episode as an animated GIF at this path")
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("generate", help="generate text (char_gpt) or digit images (dcgan_mnist)")
    p.add_argument("name")
    p.add_argument("--digit", help="images: a digit 0-9, or 'all' for one row per digit")
    p.add_argument(
        "--n",
        type=whole(1, 10_000),
        help="images: how many, 1-10000 (default 64; 100 with --digit all; 10 steps)",
    )
    p.add_argument("--interpolate", action="store_true", help="images: a walk between two noise vectors")
    p.add_argument("--out", help="images: PNG path (default dcgan_DIGIT.png)")
    p.add_argument("--prompt", default="", help="text to continue (default: start a new line)")
    p.add_argument(
        "--max-new",
        type=whole(1, 100_000),
        default=500,
        help="characters to generate (1-100000, default 500)",
    )
    p.add_argument("--sampler", default="greedy", help="greedy, top_k, top_p or random (default greedy)")
    p.add_argument("--temperature", type=number(0, low_open=True), default=1.0, help="> 0 (default 1)")
    p.add_argument(
        "--k", type=whole(1, 10**6), default=10, help="top_k: sample among the K likeliest characters"
    )
    p.add_argument(
        "--p", type=number(0, 1, low_open=True), default=0.9, help="top_p: probability mass in (0, 1]"
    )
    p.add_argument("--no-cache", action="store_true", help="recompute the whole window per character")
    p.add_argument("--seed", type=whole(0, 2**31), default=0, help="sampling seed (0-2147483648)")
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("export", help="a TF SavedModel or ONNX file of a pretrained model, verified")
    p.add_argument("name")
    p.add_argument(
        "--format", required=True, help="saved_model (tensorflow, jax) or onnx (tensorflow, torch)"
    )
    p.add_argument("--out", required=True, help="folder for the artifact")
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("quantize", help="int8 weight quantization: size and accuracy before/after")
    p.add_argument("name")
    p.add_argument("--int8", action="store_true", required=True, help="Keras int8 quantization")
    p.add_argument("--sample", action="store_true", help="measure on the bundled test sample (offline)")
    p.add_argument("--data-dir")
    p.add_argument("--record", action="store_true", help=argparse.SUPPRESS)  # maintainers: into the card
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("data", help="the datasets: sources, licenses, files; download and verify them")
    p.add_argument("action", choices=("list", "download", "verify"))
    p.add_argument("names", nargs="*", metavar="NAME", help="datasets (default: all)")
    p.add_argument(
        "--dir", help="the folder of dataset folders to look in / download into (default: the cache)"
    )
    p.add_argument("--json", action="store_true")

    p = commands.add_parser(
        "weights", help="the weights files: where they are, fetch, verify, prune the cache"
    )
    p.add_argument("action", choices=("list", "download", "verify", "prune"))
    p.add_argument("names", nargs="*", metavar="NAME", help="models (default: all)")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser(
        "serve", help="web pages and a JSON API for the models (pip install kerazoo[serve])"
    )
    p.add_argument("--models", help="comma-separated models to serve (default: every one with a page)")
    p.add_argument(
        "--models-dir", help="also serve the model directories (`zoo finetune --out`) in this folder"
    )
    p.add_argument("--versions", help="the flywheel's versions folder: serve each model's promoted version")
    p.add_argument("--db", default="sqlite:///runs/feedback.db", help="feedback database URL (SQLAlchemy)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    p.add_argument("--port", type=whole(1, 65535), default=7860)
    p.add_argument("--api-only", action="store_true", help="the JSON API without the web pages")
    p.add_argument("--concurrency", type=whole(1, 64), default=2, help="model calls at once (default 2)")
    p.add_argument(
        "--timeout", type=number(0, 3600, low_open=True), default=120.0, help="seconds per request"
    )

    p = commands.add_parser("feedback", help="what users told `zoo serve`: list it, or export corrections")
    p.add_argument("action", choices=("list", "export"))
    p.add_argument("--db", default="sqlite:///runs/feedback.db", help="feedback database URL (SQLAlchemy)")
    p.add_argument("--model", help="only this model's feedback")
    p.add_argument("--out", help="export: a folder of class subfolders for `zoo finetune MODEL --data OUT`")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("backends", help="installed backends, versions and devices")
    p.add_argument("--probe", action="store_true", help="import each framework to list its devices (slow)")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    from_shell = argv is None
    argv = sys.argv[1:] if argv is None else argv
    args = None
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        if args.verbose:
            os.environ["ZOO_VERBOSE"] = "1"
        backend.select(args.backend)
        if args.command not in LIGHT_COMMANDS:
            if from_shell:  # in-process callers (tests, notebooks) keep their own stderr
                backend.keep_native_logs_off_the_terminal()
            backend.start(join=args.command == "train" and bool(args.distribute))
        return _COMMANDS[args.command](args) or 0
    except UsageError as exc:
        return errors.fail("zoo", str(exc))
    except KeyboardInterrupt:
        hint = {"train": "; `zoo train ... --resume` continues after the last finished epoch",
                "finetune": "; `zoo finetune ... --resume` continues after the last finished epoch",
                "data": "; run it again: a broken-off download resumes",
                "launch": "; the same command with --resume continues from rank 0's checkpoint"}  # fmt: skip
        return errors.fail("zoo", f"interrupted{hint.get(getattr(args, 'command', None), '')}.")
    except Exception as exc:  # noqa: BLE001  expected failures become one sentence
        if isinstance(exc, errors.user_errors()):
            return errors.fail("zoo", str(exc))
        from zoo.core import launch

        if launch.launched() and not os.environ.get("ZOO_VERBOSE"):
            # one of zoo launch's processes: a peer's death reaches the others as a collective's
            # error; the launcher names the first to fail, so one line here (--verbose: traceback)
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            print(
                f"zoo: rank {os.environ.get('ZOO_RANK')} stopped: {type(exc).__name__}: {first}",
                file=sys.stderr,
            )
            return 1
        raise


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2))


def _cmd_list(args) -> int:
    from zoo import catalog

    rows = catalog.rows(args.pattern)
    if args.json:
        _print_json(rows)
    elif args.markdown:
        print(catalog.markdown(rows))
    else:
        print(catalog.text(rows))
    return 0


def _cmd_info(args) -> int:
    from zoo import api, catalog

    card = api.card(args.name)
    print(json.dumps(card, indent=2) if args.json else catalog.card_text(card))
    return 0


def _spec_offering(name: str, ability: str, command: str):
    """The spec of NAME, or NotSupported naming what it does instead and which models offer `ability`."""
    from zoo.core import model_dir, registry

    spec = model_dir.resolve(name)
    if ability not in spec.task.abilities:
        others = ", ".join(registry.with_ability(ability))
        hint = spec.tasks().hint.format(name=name)
        raise NotSupported(
            f"{name} ({spec.kind}) does not {command}{'; ' + hint if hint else ''} "
            f"(`zoo {command}` runs {others})."
        )
    return spec


def _cmd_predict(args) -> int:
    spec = _spec_offering(args.name, "predict", "predict")
    task = spec.tasks()
    x, sources = task.read_inputs(args.files, invert=args.invert, resize=args.resize)
    results = task.predict(spec.load(args.weights or "pretrained"), x, top=args.top)
    results = [
        {"file": source, "index": i, **r} for i, (source, r) in enumerate(zip(sources, results, strict=True))
    ]
    if args.json:
        _print_json({"model": args.name, "backend": backend.current(), "predictions": results})
        return 0
    for r in results:
        if "top" in r:
            shown = "  ".join(f"{t.get('name', t['label'])} ({t['probability']:.1%})" for t in r["top"])
            if "decision" in r:
                d = r["decision"]
                shown += f"  -> {d.get('name', d['label'])} (logit threshold {d['threshold']:.3g})"
            print(f"{r['file']}[{r['index']}]: {shown}")
        else:
            print(f"{r['file']}[{r['index']}]: {r['prediction']:.4g}")
    return 0


def _cmd_eval(args) -> int:
    from zoo.core import hub, model_dir

    spec = model_dir.resolve(args.name)
    result = spec.tasks().evaluate(
        spec.load(args.weights or "pretrained"),
        split=args.split,
        limit=args.n or args.limit,
        data_dir=args.data_dir,
        sample=args.sample,
        tta=args.tta,
        data=args.data,
    )
    if args.record:
        if args.weights or args.limit or args.sample or args.data or spec.weights_file:
            raise ValueError("--record stores full-split metrics of the shipped weights only.")
        hub.record_metrics(args.name, result["backend"], result)
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in result["metrics"].items() if isinstance(v, (int, float)))
        tta = ", TTA" if result.get("tta") else ""
        print(
            f"{args.name} on {result['dataset']} {result['split']} ({result['n']} examples, "
            f"{result['backend']}{tta}): {shown}"
        )
    return 0


def _cmd_train(args) -> int:
    from zoo import api

    # Progress goes to stderr so that stdout holds only the result (one JSON object with --json).
    with contextlib.redirect_stdout(sys.stderr):
        result = api.train(
            args.name,
            steps=args.steps,
            epochs=args.epochs,
            batch_size=args.batch_size,
            out_dir=args.out,
            resume=args.resume,
            force=args.force,
            data_dir=args.data_dir,
            limit=args.limit,
            holdout=args.holdout,
            seed=args.seed,
            distribute=args.distribute,
            verbose="auto" if sys.stderr.isatty() else 2,
            command=_command_line(args),
        )
    from zoo.core import launch

    if args.distribute and not launch.world().leader:
        return 0  # rank 0 prints the result (and alone wrote it)
    if args.json:
        print(json.dumps(result))
    else:
        measured = result.get("test") or {"split": "holdout", "metrics": result.get("holdout")}
        print(f"trained {args.name} in {result['wall_time_s']} s; weights: {result['weights']}")
        print(f"{measured['split']}: {measured['metrics']}")
    return 0


def _cmd_launch(args) -> int:
    from zoo.core import launch

    rest = list(args.zoo_command)
    if not rest or rest[0] != "train":
        shown = rest[0] if rest else "nothing"
        raise UsageError(f"zoo launch starts `train NAME ...` in each process; got {shown!r}.")
    tensorflow = os.environ.get("KERAS_BACKEND", backend.DEFAULT_BACKEND) == "tensorflow"
    if tensorflow and args.nnodes > 1:
        raise UsageError(
            f"zoo launch on tensorflow starts the processes of one host, not --nnodes {args.nnodes}: "
            "TensorFlow's TF_CONFIG names every worker's address, so on several hosts start each "
            "worker with `zoo train ... --distribute data_parallel` and its TF_CONFIG (docs/SCALING.md)."
        )
    build_parser().parse_args(rest)  # a bad flag: one sentence here, not one from every process
    if len(rest) > 1 and not rest[1].startswith("-"):
        from zoo.core import registry

        registry.check_data_parallel(rest[1])  # before any process starts
    if not any(a.startswith("--distribute") for a in rest):
        rest.append("--distribute=data_parallel")
    flags = ["--verbose"] if args.verbose else []
    try:
        return launch.launch(
            [*flags, *rest],
            args.nproc,
            nnodes=args.nnodes,
            node_rank=args.node_rank,
            master=args.master,
            ports=args.nproc if tensorflow else 1,  # TensorFlow's workers: a port each
            log=lambda line: print(line, file=sys.stderr),
        )
    except launch.Stopped as stop:
        signum = stop.args[0]
        print(f"zoo launch: stopped by signal {signum}, and so were its processes; the same command "
              "with --resume continues from rank 0's last checkpoint.", file=sys.stderr)  # fmt: skip
        return 128 + signum


def _cmd_finetune(args) -> int:
    from zoo.core.finetuning import FinetuneOptions

    spec = _spec_offering(args.name, "finetune", "finetune")
    options = FinetuneOptions(
        out_dir=args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        steps=args.steps,
        learning_rate=args.lr,
        val_split=args.val_split,
        freeze_epochs=args.freeze_epochs,
        seed=args.seed,
        resume=args.resume,
        force=args.force,
        skip_bad=args.skip_bad,
        from_scratch=args.from_scratch,
        target=args.target,
        items=args.items,
        cut=args.cut,
        verbose="auto" if sys.stderr.isatty() else 2,
        command=_command_line(args),
    )
    with contextlib.redirect_stdout(sys.stderr):  # progress on stderr; stdout holds the result
        result = spec.tasks().finetune(args.data, options)
    if args.json:
        print(json.dumps(result, allow_nan=False))
        return 0
    shown = ", ".join(
        f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in result["metrics"].items()
    )
    print(
        f"fine-tuned {args.name} on {result['n_train']} examples in {result['wall_time_s']} s; "
        f"the model is in {result['out']}"
    )
    print(f"validation ({result['n_val']} examples, best epoch {result['best_epoch']}): {shown}")
    if result.get("base_metrics"):
        print("base model on the same validation data: "
              + ", ".join(f"{k} {v:.4f}" for k, v in result["base_metrics"].items()))  # fmt: skip
    if result.get("test"):  # recommenders: the comparison on the test part, as the anime application's
        print(f"test ({result['test']['model']['n_users']} users)   NDCG@10  recall@10  HR@10  coverage")
        for name, row in result["test"].items():
            print(f"  {name:<12} {row['ndcg@10']:.4f}   {row['recall@10']:.4f}     "
                  f"{row['hr@10']:.4f} {row['coverage']:.3f}")  # fmt: skip
    for target, part in result.get("after_cut", {}).items():  # forecasters: the walk-forward after the cut
        print(f"after {result['cut']}, {target} QLIKE: "
              + ", ".join(f"{name} {value:.4f}" for name, value in part["qlike"].items()))  # fmt: skip
    if result.get("skipped"):
        print(f"skipped {result['skipped']} unreadable files")
    return 0


def _command_line(args) -> str:
    backend_name = os.environ.get("KERAS_BACKEND", backend.DEFAULT_BACKEND)
    return f"zoo --backend {backend_name} " + shlex.join(args.argv[args.argv.index(args.command) :])


def _cmd_export(args) -> int:
    from zoo import export

    result = export.export(args.name, args.format, args.out, weights=args.weights or "pretrained")
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"wrote {result['path']} ({result['format']}, from {result['backend']}); outputs match Keras "
            f"on {result['checked_on']} sample inputs (max abs diff {result['max_abs_diff']:.1e})"
        )
    return 0


def _cmd_quantize(args) -> int:
    from zoo import export
    from zoo.core import hub

    result = export.quantize_int8(args.name, data_dir=args.data_dir, sample=args.sample)
    if args.record:
        if args.sample:
            raise ValueError("--record stores full-split measurements only.")
        hub.record_quantization(args.name, result["backend"], result)
    if args.json:
        print(json.dumps(result))
        return 0
    for kind in ("float32", "int8"):
        part = result[kind]
        print(
            f"{kind:>7}: {part['bytes'] / 1e6:.2f} MB, accuracy {part['metrics']['accuracy']:.4f} "
            f"on {result['split']} (n={result['n']})"
        )
    print(f"accuracy delta {result['accuracy_delta']:+.4f} ({result['backend']})")
    return 0


def _cmd_play(args) -> int:
    spec = _spec_offering(args.name, "play", "play")
    result = spec.tasks().play(
        spec.load(args.weights or "pretrained"), episodes=args.episodes, seed=args.seed, gif=args.gif
    )
    if args.json:
        keys = ("mean_return", "std_return")
        print(
            json.dumps(
                {**{k: result[k] for k in keys}, "episodes": args.episodes, "backend": backend.current()}
            )
        )
    else:
        print(
            f"{args.name} over {args.episodes} greedy episodes ({backend.current()}): "
            f"return {result['mean_return']:.1f} +- {result['std_return']:.1f}"
        )
    if args.gif:
        print(f"wrote {args.gif}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _cmd_generate(args) -> int:
    spec = _spec_offering(args.name, "generate", "generate")
    model = spec.load(args.weights or "pretrained")

    def stream(text: str) -> None:
        print(text, end="", flush=True)

    result = spec.tasks().generate(model, vars(args), stream=None if args.json else stream)
    if args.json:
        print(json.dumps(result))
    elif "out" in result:
        print(f"wrote {result['images']} generated digits to {result['out']}")
    return 0


def _cmd_weights(args) -> int:
    from zoo import api
    from zoo.core import hub

    if args.action == "prune":
        removed = [str(p) for p in hub.prune()]
        print(
            json.dumps({"removed": removed})
            if args.json
            else f"removed {len(removed)} files from {hub.cache_dir()}"
        )
        return 0
    names = args.names or api.list_models()
    for name in names:
        api.registry.get(name)  # an unknown name: one sentence, before any download
    if args.action == "download":
        for name in names:
            hub.resolve(name)
    rows = [hub.status(name, check=args.action == "verify") for name in names]
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            state = f"  {row['state']}" if "state" in row else ""
            wheel = "wheel" if row["in_wheel"] else "fetched"
            size = f"{row['bytes'] / 1e6:7.2f} MB"
            print(f"{row['model']:<18} {size}  {wheel:<8} {row['where']:<8}{state}  {row['path'] or ''}")
    bad = [row["model"] for row in rows if row.get("state") == "corrupt"]
    if bad:
        raise ValueError(
            f"corrupt weights files: {', '.join(bad)}; delete them and run `zoo weights download`."
        )
    return 0


def _cmd_data(args) -> int:
    from zoo.datasets import catalog

    names = args.names or catalog.names()
    for name in names:
        catalog.entry(name)  # an unknown name: one sentence, before any download
    if args.action == "download":
        for name in names:
            catalog.download_all(name, args.dir, log=_say)
        lacking = {name: catalog.not_downloadable(name, args.dir) for name in names}
        for name, files in lacking.items():
            if files:
                how = catalog.entry(name).get("without_download", "see `zoo data list`")
                _say(f"{name}: {len(files)} file(s) have no download wired ({', '.join(files[:3])}); {how}")
        if args.names and all(lacking[name] for name in names):
            raise ValueError(f"{', '.join(names)}: nothing here could be downloaded (see above).")
    rows = []
    for name in names:
        facts = {k: v for k, v in catalog.entry(name).items() if k not in ("files", "sources")}
        files = catalog.status(name, args.dir, check=args.action == "verify")
        rows.append({"dataset": name, **facts, "files": files})
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            files, present = row["files"], [f for f in row["files"] if f["path"]]
            size = sum(f["bytes"] for f in files) / 1e6
            fetchable = sum(f["downloadable"] for f in files)
            print(f"{row['dataset']:<16} {len(present)}/{len(files)} files here, {size:7.1f} MB, "
                  f"{fetchable} downloadable  {row['title']}")  # fmt: skip
            print(f"{'':<16} license: {row['license']}; from {row['upstream']}")
            if row.get("download"):  # fetched from another copy than the one measured
                print(f"{'':<16} downloads {row['download']}")
            for f in files:
                state = {True: "ok", False: "CORRUPT"}.get(f.get("ok"), "present" if f["path"] else "missing")
                print(f"{'':<16}   {f['name']:<26} {f['bytes']:>11,} B  {f['sha256'][:12]}  {state}")
    bad = [f"{row['dataset']}/{f['name']}" for row in rows for f in row["files"] if f.get("ok") is False]
    if bad:
        raise ValueError(f"files with the wrong sha256: {', '.join(bad)}; delete them and download again.")
    return 0


def _cmd_backends(args) -> int:
    rows = backend.installed(probe=args.probe)
    if args.json:
        _print_json({"active": os.environ.get("KERAS_BACKEND"), "backends": rows})
        return 0
    for row in rows:
        state = row["version"] if row["installed"] else "not installed"
        marker = "*" if row["backend"] == os.environ.get("KERAS_BACKEND") else " "
        devices = ", ".join(row["devices"]) if args.probe else "(--probe lists its devices)"
        print(f"{marker} {row['backend']:<11} {state:<14} {devices}")
    return 0


def _cmd_serve(args) -> int:
    try:
        import fastapi  # noqa: F401  (the serve extra, checked before any work)
        import gradio  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401

        from zoo.serve import app
        from zoo.serve.service import Service
    except ModuleNotFoundError as exc:
        raise ValueError(
            f'`zoo serve` needs {exc.name}: pip install "kerazoo[serve]" (or `make serve`).'
        ) from None
    names = [n.strip() for n in args.models.split(",") if n.strip()] if args.models else None
    if names == []:
        raise ValueError(f"--models {args.models!r} names no model; e.g. --models mnist_cnn,char_gpt.")
    service = Service(names, models_dir=args.models_dir, versions_dir=args.versions, db=args.db)
    limits = {"concurrency": args.concurrency, "timeout_s": args.timeout}
    app.run(service, args.host, args.port, pages=not args.api_only, log=_say, **limits)
    return 0


def _cmd_feedback(args) -> int:
    try:
        from zoo.core.feedback import FeedbackStore, export_corrections
    except ModuleNotFoundError as exc:
        raise ValueError(f'`zoo feedback` needs {exc.name}: pip install "kerazoo[serve]".') from None

    store = FeedbackStore(args.db)
    if args.action == "export":
        if not args.model or not args.out:
            raise ValueError("feedback export needs --model (whose corrections) and --out (a new folder).")
        written = export_corrections(store, args.model, args.out)
        _say(f"wrote {written} corrected images to {args.out}; next: zoo finetune {args.model} --data OUT")
        return 0
    rows = store.rows(model=args.model)
    if args.json:
        _print_json([{**r, "created": r["created"].isoformat()} for r in rows])
        return 0
    for r in rows:
        when = f"{r['created']:%Y-%m-%d %H:%M}"
        print(f"#{r['id']} {when} {r['model']} ({r['version']}) {r['kind']} {r['label'] or ''}")
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr)


_COMMANDS = {
    "list": _cmd_list,
    "info": _cmd_info,
    "predict": _cmd_predict,
    "eval": _cmd_eval,
    "generate": _cmd_generate,
    "train": _cmd_train,
    "launch": _cmd_launch,
    "finetune": _cmd_finetune,
    "play": _cmd_play,
    "export": _cmd_export,
    "quantize": _cmd_quantize,
    "weights": _cmd_weights,
    "backends": _cmd_backends,
    "data": _cmd_data,
    "serve": _cmd_serve,
    "feedback": _cmd_feedback,
}
