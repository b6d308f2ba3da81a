"""python -m applications.recommendation {recommend,evaluate,flywheel,coldstart} ...

Data: $ZOO_DATA_DIR/anime/ (or --data-dir); --sample uses the 300 users bundled in zoo/samples.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from applications import cli_support
from applications.cli_support import ArgumentParser
from zoo.core.flags import number, whole

PROG = "python -m applications.recommendation"
MODELS = ("popularity", "item_knn", "als", "ease", "ials", "two_tower", "neumf", "mult_vae")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog=PROG, description="Anime recommendations (MyAnimeList, 5,000 users).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    def with_data(p):
        p.add_argument("--data-dir", help="folder with anime/interactions.csv (default: $ZOO_DATA_DIR)")
        p.add_argument("--sample", action="store_true", help="use the bundled 300-user sample (offline)")
        return p

    p = with_data(commands.add_parser("recommend", help="top items for a known user or from liked titles"))
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", type=whole(1, 10**9), help="user_id as in the dataset (1..5000)")
    who.add_argument(
        "--like",
        action="append",
        help="a liked title (repeat the flag for more), or several comma-separated; write a comma that is "
        'part of a title as "\\,", e.g. --like "Cowboy Bebop" --like "Steins;Gate"',
    )
    p.add_argument("--k", type=whole(1, 1000), default=10, help="how many titles (1-1000, default 10)")
    p.add_argument("--model", choices=MODELS, default="two_tower")
    p.add_argument("--json", action="store_true")
    p = with_data(commands.add_parser("evaluate", help="all models on the test split (full ranking)"))
    p.add_argument("--out", help="folder for metrics.json and comparison.png")
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    p.add_argument("--json", action="store_true")
    p = with_data(commands.add_parser("flywheel", help="retrain-on-feedback simulation vs a static model"))
    p.add_argument("--rounds", type=whole(1, 50), default=5, help="feedback rounds (1-50, default 5)")
    p.add_argument(
        "--start-share", type=number(0, 1, low_open=True), default=0.4,
        help="share of training data known at round 0, in (0, 1]",
    )  # fmt: skip
    p.add_argument("--first-epochs", type=whole(1, 100), default=4, help="epochs of round 0 (1-100)")
    p.add_argument("--epochs-per-round", type=whole(1, 100), default=2, help="epochs per later round (1-100)")
    p.add_argument("--out", default="runs/recommendation/flywheel")
    p.add_argument("--db", help="retrain for real on the feedback `zoo serve` stored (a database URL)")
    p.add_argument("--versions", default="runs/flywheel/versions", help="the served versions' folder")
    p.add_argument(
        "--epochs", type=whole(1, 100), default=2, help="with --db: epochs of retraining (default 2)"
    )
    p.add_argument(
        "--lr", type=number(0, 10, low_open=True), help="with --db: learning rate (default the recipe's)"
    )
    p.add_argument("--list", action="store_true", help="list the versions and which one is served")
    p.add_argument(
        "--rollback", metavar="VERSION", help="serve VERSION again (v1, v2, ...; 'shipped': the zoo's)"
    )
    p.add_argument("--json", action="store_true")
    p = with_data(commands.add_parser("coldstart", help="new users from a few likes, new items from genres"))
    p.add_argument("--epochs", type=whole(1, 100), default=4, help="training epochs (1-100, default 4)")
    p.add_argument("--given", type=whole(1, 50), default=5, help="likes a new user gives (1-50, default 5)")
    p.add_argument("--out", help="folder for coldstart.json")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    return cli_support.main(PROG, build_parser(), COMMANDS, argv)


def liked_titles(flags: list[str]) -> list[str]:
    """The titles of every --like flag: each split on commas, except a comma written as "\\,"."""
    titles = []
    for flag in flags:
        titles += [part.replace("\0", ",").strip() for part in flag.replace("\\,", "\0").split(",")]
    return [t for t in titles if t]


def _recommend(args) -> int:
    from scipy import sparse

    from applications.recommendation import compare, recommend
    from zoo.datasets import anime

    items = anime.load_items(args.data_dir)
    if args.like is not None and args.model == "neumf":
        raise ValueError(
            "neumf ranks only the users it was trained on; for liked titles use another --model."
        )
    if args.like is not None:
        history, user = recommend.history_of_titles(liked_titles(args.like), items), None
    needs_data = args.like is None or args.model in (
        "popularity",
        "item_knn",
        "als",
    )  # baselines fit on train
    parts = (anime.load_sample() if args.sample else anime.load_split(args.data_dir)) if needs_data else None
    if args.like is None:
        everything = (parts.train + parts.val + parts.test).tocsr()
        if not 1 <= args.user <= everything.shape[0]:
            raise ValueError(f"unknown user {args.user}; user ids are 1..{everything.shape[0]}.")
        user = args.user - 1
        if everything[user].nnz == 0:
            raise ValueError(
                f"user {args.user} has no interactions here (with --sample only 300 users have)."
            )
        history = sparse.csr_matrix(everything[user])
    train = parts.train if parts is not None else None
    model = compare.build_models(train, [args.model], log=lambda message: None)[args.model]
    results = recommend.recommend(model, history, user, items, k=args.k)
    if args.json:
        print(json.dumps([r.__dict__ for r in results]))
        return 0
    who = (
        f"user {args.user}"
        if user is not None
        else "a new user who likes " + "; ".join(items.names[i] for i in history.indices)
    )
    print(f"{args.model} recommendations for {who} ({history.nnz} known items):")
    for rank, r in enumerate(results, start=1):
        reason = f"  because you like {r.because[0]}" if r.because else ""
        genres = f" (shared genres: {', '.join(r.genres)})" if r.genres else ""
        print(f"{rank:2d}. {r.title}  score {r.score:.3f}{reason}{genres}")
    return 0


def _evaluate(args) -> int:
    from applications.recommendation import compare

    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = sorted(set(names) - set(MODELS))
    if unknown or not names:
        raise ValueError(f"unknown --models {unknown or names}; choose from {', '.join(MODELS)}.")
    result = compare.compare(args.data_dir, sample=args.sample, names=names, log=cli_support.log_for(args))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        from zoo.core.atomic import atomic_write_json

        atomic_write_json(out / "metrics.json", result)
        compare.plot(result, out / "comparison.png")
        cli_support.log_for(args)(f"wrote {out / 'metrics.json'} and {out / 'comparison.png'}")
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"anime {result['split']}: {result['n_users']} users, full ranking ({result['backend']})")
    print(f"{'model':<12} {'NDCG@10':>8} {'Recall@10':>10} {'HR@10':>7} {'coverage':>9} {'popularity':>11}")
    for name in result["ndcg@10"]:
        print(
            f"{name:<12} {result['ndcg@10'][name]:8.4f} {result['recall@10'][name]:10.4f} "
            f"{result['hr@10'][name]:7.4f} {result['coverage'][name]:9.4f} {result['popularity'][name]:11.1f}"
        )
    return 0


def _flywheel(args) -> int:
    from applications.recommendation import flywheel
    from zoo.core.atomic import atomic_write_json

    if args.list or args.rollback or args.db:
        return _served_versions(args)

    result = flywheel.simulate(
        rounds=args.rounds,
        start_share=args.start_share,
        first_epochs=args.first_epochs,
        epochs_per_round=args.epochs_per_round,
        data_dir=args.data_dir,
        sample=args.sample,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / "flywheel.json", result)
    (out / "flywheel.md").write_text(flywheel.markdown(result))
    flywheel.plot(result, out / "flywheel.png")
    print(flywheel.markdown(result), end="")
    print(f"wrote {out / 'flywheel.png'}, flywheel.md and flywheel.json")
    return 0


def _served_versions(args) -> int:
    """The real flywheel: retrain on stored feedback, list the versions, or roll back."""
    from applications.recommendation import retrain
    from zoo.core import versions

    if args.rollback:
        wanted = None if args.rollback == "shipped" else args.rollback
        index = versions.rollback(args.versions, retrain.MODEL, wanted)
        print(f"{retrain.MODEL} now serves {index['current'] or 'the shipped weights'}")
        return 0
    if args.db:
        import shlex

        command = "python -m applications.recommendation " + shlex.join(sys.argv[1:])
        entry = retrain.retrain(args.db, args.versions, epochs=args.epochs, learning_rate=args.lr,
                                data_dir=args.data_dir, sample=args.sample, command=command,
                                log=cli_support.log_for(args))  # fmt: skip
        if args.json:
            print(json.dumps(entry))
        return 0
    index = versions.history(args.versions, retrain.MODEL)
    if args.json:
        print(json.dumps(index))
        return 0
    for v in index["versions"]:
        mark = "*" if v["version"] == index["current"] else " "
        verdict = "promoted" if v["promoted"] else "not promoted"
        print(f"{mark} {v['version']:<5} val NDCG@10 {v['metrics']['ndcg@10']:.4f} "
              f"(served had {v['incumbent']:.4f}) {verdict}  {v['created']}")  # fmt: skip
    print(f"serving: {index['current'] or 'the shipped weights'}")
    return 0


def _coldstart(args) -> int:
    from applications.recommendation import coldstart
    from zoo.core.atomic import atomic_write_json

    result = coldstart.experiment(
        given=args.given,
        epochs=args.epochs,
        data_dir=args.data_dir,
        sample=args.sample,
        log=cli_support.log_for(args),
    )
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        atomic_write_json(Path(args.out) / "coldstart.json", result)
    if args.json:
        print(json.dumps(result))
        return 0
    for part in ("new_users", "new_items"):
        numbers = ", ".join(f"{name} {value:.4f}" for name, value in result[part]["ndcg@10"].items())
        print(f"{part} (n_users {result[part]['n_users']}): NDCG@10 {numbers}")
    return 0


COMMANDS = {"recommend": _recommend, "evaluate": _evaluate, "flywheel": _flywheel, "coldstart": _coldstart}

if __name__ == "__main__":
    sys.exit(main())
