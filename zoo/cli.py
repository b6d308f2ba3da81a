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

from zoo import backend, errors


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one sentence on stderr (no usage dump)."""

    def error(self, message):
        raise _UsageError(f"{message} (see `{self.prog} --help`).")


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zoo", description="Kerazoo: Keras 3 models on TensorFlow, JAX or PyTorch.")
    parser.add_argument(
        "--backend",
        choices=backend.BACKENDS,
        help="Keras backend for this command (default: $KERAS_BACKEND or tensorflow)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    p.add_argument("--top", type=int, default=3, help="how many classes to show (default 3)")
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
    p.add_argument("--limit", type=int, help="only the first N examples")
    p.add_argument("--n", type=int, help="generators: how many samples to draw (default 10000)")
    p.add_argument("--sample", action="store_true", help="the bundled real test sample (offline)")
    p.add_argument("--tta", action="store_true", help="image classifiers: average over left-right flips")
    p.add_argument("--data-dir", help="folder with the dataset (default: $ZOO_DATA_DIR/<dataset>)")
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--record", action="store_true", help=argparse.SUPPRESS)  # maintainers
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("train", help="run the recipe that made the shipped weights")
    p.add_argument("name")
    p.add_argument("--epochs", type=int)
    p.add_argument(
        "--steps", type=int, help="agents: environment steps; language models: optimizer steps per epoch"
    )
    p.add_argument("--batch-size", type=int)
    p.add_argument("--out", help="run directory (default runs/NAME)")
    p.add_argument("--resume", action="store_true", help="continue after the last finished epoch")
    p.add_argument("--limit", type=int, help="train on the first N examples only")
    p.add_argument("--holdout", type=int, default=0, help="keep the last N train examples for validation")
    p.add_argument(
        "--distribute",
        choices=["data_parallel"],
        help="replicate on every local device, split each batch (jax, tensorflow; docs/SCALING.md)",
    )
    p.add_argument("--seed", type=int)
    p.add_argument("--data-dir")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("play", help="run a pretrained agent for greedy episodes")
    p.add_argument("name")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=0, help="episode i uses environment seed SEED+i")
    p.add_argument("--gif", help="record the first episode as an animated GIF at this path")
    p.add_argument("--weights", help="a .weights.h5 file instead of the pretrained weights")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("generate", help="generate text (char_gpt) or digit images (dcgan_mnist)")
    p.add_argument("name")
    p.add_argument("--digit", help="images: a digit 0-9, or 'all' for one row per digit")
    p.add_argument("--n", type=int, help="images: how many (default 64; 100 with --digit all; 10 steps)")
    p.add_argument("--interpolate", action="store_true", help="images: a walk between two noise vectors")
    p.add_argument("--out", help="images: PNG path (default dcgan_DIGIT.png)")
    p.add_argument("--prompt", default="", help="text to continue (default: start a new line)")
    p.add_argument("--max-new", type=int, default=500, help="characters to generate (default 500)")
    p.add_argument("--sampler", default="greedy", help="greedy, top_k, top_p or random (default greedy)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--k", type=int, default=10, help="top_k: sample among the K likeliest characters")
    p.add_argument("--p", type=float, default=0.9, help="top_p: sample within probability mass P")
    p.add_argument("--no-cache", action="store_true", help="recompute the whole window per character")
    p.add_argument("--seed", type=int, default=0)
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

    p = commands.add_parser("backends", help="installed backends, versions and devices")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        args.argv = argv
        backend.select(args.backend)
        return _COMMANDS[args.command](args) or 0
    except _UsageError as exc:
        return errors.fail("zoo", str(exc))
    except KeyboardInterrupt:
        return errors.fail(
            "zoo", "interrupted; `zoo train ... --resume` continues after the last finished epoch."
        )
    except Exception as exc:  # noqa: BLE001  expected failures become one sentence
        if isinstance(exc, errors.user_errors()):
            return errors.fail("zoo", str(exc))
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
    import zoo

    card = zoo.card(args.name)
    if args.json:
        _print_json(card)
        return 0
    from zoo import catalog

    print(catalog.card_text(card))
    return 0


def _cmd_predict(args) -> int:
    import numpy as np

    import zoo
    from zoo import evaluation, inputs, registry

    spec = registry.get(args.name)
    if spec.task in ("language-modeling", "generation"):
        raise ValueError(
            f"{args.name} makes text or images rather than reading files; use `zoo generate {args.name}`."
        )
    if spec.task == "reinforcement-learning":
        raise ValueError(f"{args.name} is an agent; use `zoo play {args.name}`.")
    if spec.task == "recommendation":
        raise ValueError(
            f"{args.name} ranks items for users; use `python -m applications.recommendation recommend`."
        )
    if spec.task == "volatility-forecasting":
        raise ValueError(
            f"{args.name} reads price series, not files; use `python -m applications.finance forecast`."
        )
    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}.")
    x, sources = inputs.read_inputs(args.files, spec, invert=args.invert, resize=args.resize)
    model = zoo.load(args.name, weights=args.weights or "pretrained")
    outputs = evaluation.predict(model, x)
    names = spec.extra.get("labels")
    results = []
    classifier = spec.task in ("classification", "binary-classification")
    probabilities = evaluation.class_probabilities(outputs) if classifier else outputs
    for i, (source, out, probs) in enumerate(zip(sources, outputs, probabilities, strict=True)):
        if classifier:
            top = np.argsort(-probs)[: args.top]
            results.append(
                {
                    "file": source,
                    "index": i,
                    "top": [
                        {"label": int(k), "name": names[k], "probability": float(probs[k])}
                        if names
                        else {"label": int(k), "probability": float(probs[k])}
                        for k in top
                    ],
                }
            )
        else:
            results.append({"file": source, "index": i, "prediction": float(out.reshape(-1)[0])})
    if args.json:
        _print_json({"model": args.name, "backend": backend.current(), "predictions": results})
        return 0
    for r in results:
        if "top" in r:
            shown = "  ".join(f"{t.get('name', t['label'])} ({t['probability']:.1%})" for t in r["top"])
            print(f"{r['file']}[{r['index']}]: {shown}")
        else:
            print(f"{r['file']}[{r['index']}]: {r['prediction']:.4g}")
    return 0


def _cmd_eval(args) -> int:
    import zoo
    from zoo import evaluation, hub

    model = zoo.load(args.name, weights=args.weights or "pretrained")
    result = evaluation.evaluate(
        args.name,
        split=args.split,
        limit=args.n or args.limit,
        data_dir=args.data_dir,
        model=model,
        sample=args.sample,
        tta=args.tta,
    )
    if args.record:
        if args.weights or args.limit or args.sample:
            raise ValueError("--record stores full-split metrics of the shipped weights only.")
        hub.record_metrics(args.name, result["backend"], result)
    if args.json:
        print(json.dumps(result))
    else:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in result["metrics"].items() if isinstance(v, (int, float)))
        tta = ", flip TTA" if result.get("tta") else ""
        print(
            f"{args.name} on {result['dataset']} {result['split']} ({result['n']} examples, "
            f"{result['backend']}{tta}): {shown}"
        )
    return 0


def _cmd_train(args) -> int:
    from zoo import training

    # Progress goes to stderr so that stdout holds only the result (one JSON object with --json).
    with contextlib.redirect_stdout(sys.stderr):
        result = training.train(
            args.name,
            steps=args.steps,
            epochs=args.epochs,
            batch_size=args.batch_size,
            out_dir=args.out,
            resume=args.resume,
            data_dir=args.data_dir,
            limit=args.limit,
            holdout=args.holdout,
            seed=args.seed,
            distribute=args.distribute,
            verbose="auto" if sys.stderr.isatty() else 2,
            command=_command_line(args),
        )
    if args.json:
        print(json.dumps(result))
    else:
        measured = result.get("test") or {"split": "holdout", "metrics": result.get("holdout")}
        print(f"trained {args.name} in {result['wall_time_s']} s; weights: {result['weights']}")
        print(f"{measured['split']}: {measured['metrics']}")
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
    from zoo import export, hub

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
    import zoo
    from zoo import registry

    spec = registry.get(args.name)
    play = spec.extra.get("play")
    if play is None:
        agents = [n for n in registry.names() if registry.get(n).extra.get("play")]
        raise ValueError(f"{args.name} is not an agent; `zoo play` runs {', '.join(agents)}.")
    model = zoo.load(args.name, weights=args.weights or "pretrained")
    result = play(model, episodes=args.episodes, seed=args.seed, gif=args.gif)
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
    import zoo
    from zoo import generation, registry

    spec = registry.get(args.name)
    if spec.task == "generation":
        return _generate_images(args)
    if spec.task != "language-modeling":
        makers = [n for n in registry.names() if registry.get(n).task in ("language-modeling", "generation")]
        raise ValueError(f"{args.name} does not generate; `zoo generate` runs {', '.join(makers)}.")
    if args.max_new < 1:
        raise ValueError(f"--max-new must be a positive number of characters, got {args.max_new}.")
    sampler = generation.make_sampler(args.sampler, args.temperature, args.k, args.p, seed=args.seed)
    model = zoo.load(args.name, weights=args.weights or "pretrained")
    generation.prompt_ids(model, args.prompt)  # unknown characters fail here, before any output
    if args.json:
        result = generation.generate_text(model, args.prompt, args.max_new, sampler, not args.no_cache)
        print(json.dumps({**result, "backend": backend.current()}))
        return 0
    print(args.prompt, end="", flush=True)
    for character in generation.generate(model, args.prompt, args.max_new, sampler, not args.no_cache):
        print(character, end="", flush=True)
    print()
    return 0


def _generate_images(args) -> int:
    import numpy as np

    import zoo
    from zoo import image_grid

    digits = list(range(10)) if args.digit == "all" else [_digit(args.digit)]
    if args.n is not None and not 1 <= args.n <= 10_000:
        raise ValueError(f"--n must be between 1 and 10000 images, got {args.n}.")
    if args.interpolate:  # n: steps of the walk, one row per digit
        per_row = 10 if args.n is None else args.n
        if per_row < 2 or per_row * len(digits) > 10_000:
            raise ValueError(
                f"--n must be between 2 and {10_000 // len(digits)} interpolation steps, got {args.n}."
            )
    elif len(digits) == 10:  # n: images in all, one row per digit
        per_row = 10 if args.n is None else args.n // 10
        if per_row < 1:
            raise ValueError(f"--digit all draws one row per digit: --n must be at least 10, got {args.n}.")
    else:
        per_row = 64 if args.n is None else args.n
    model = zoo.load(args.name, weights=args.weights or "pretrained")
    if args.interpolate:  # one row per digit: the same walk between two noise vectors
        start, end = model.noise(2, args.seed)
        noise = np.tile(image_grid.interpolate(start, end, per_row), (len(digits), 1))
        labels = np.repeat(digits, per_row)
        images = model.generate(labels, noise=noise)
        columns = per_row
    else:
        labels = np.repeat(digits, per_row)
        images = model.generate(labels, seed=args.seed)
        columns = per_row if len(digits) > 1 else int(np.ceil(np.sqrt(per_row)))
    out = args.out or f"dcgan_{args.digit}{'_interpolation' if args.interpolate else ''}.png"
    image_grid.save_png(image_grid.grid(images, columns), out)
    if args.json:
        print(json.dumps({"out": out, "images": int(len(images)), "digits": digits, "seed": args.seed}))
    else:
        print(f"wrote {len(images)} generated digits to {out}")
    return 0


def _digit(text: str | None) -> int:
    if text is None:
        raise ValueError("say which digit to draw: --digit 0-9 or --digit all.")
    if not text.isdigit() or not 0 <= int(text) <= 9:
        raise ValueError(f"--digit {text} is not a digit; use 0-9 or all.")
    return int(text)


def _cmd_backends(args) -> int:
    rows = backend.installed()
    if args.json:
        _print_json({"active": os.environ.get("KERAS_BACKEND"), "backends": rows})
        return 0
    for row in rows:
        state = row["version"] if row["installed"] else "not installed"
        marker = "*" if row["backend"] == os.environ.get("KERAS_BACKEND") else " "
        print(f"{marker} {row['backend']:<11} {state:<14} {', '.join(row['devices'])}")
    return 0


_COMMANDS = {
    "list": _cmd_list,
    "info": _cmd_info,
    "predict": _cmd_predict,
    "eval": _cmd_eval,
    "generate": _cmd_generate,
    "train": _cmd_train,
    "play": _cmd_play,
    "export": _cmd_export,
    "quantize": _cmd_quantize,
    "backends": _cmd_backends,
}
