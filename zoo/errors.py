"""What counts as a user's mistake (one sentence, exit 2) rather than a bug (a traceback)."""

from __future__ import annotations

import sys

EXIT_USAGE = 2


def user_errors() -> tuple[type[Exception], ...]:
    from zoo.backend import BackendError
    from zoo.datasets import DatasetNotFound
    from zoo.hub import WeightsError
    from zoo.inputs import InputError
    from zoo.registry import UnknownModel

    return (
        BackendError,
        DatasetNotFound,
        WeightsError,
        InputError,
        UnknownModel,
        ValueError,
        FileExistsError,
    )


def fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def log_for(args):
    """An application command's progress printer: stderr when --json owns stdout, else print."""
    return (lambda message: print(message, file=sys.stderr)) if getattr(args, "json", False) else print


def run_command(prog: str, command, args) -> int:
    """Run an application sub-command: a user's mistake becomes one sentence (exit 2), a bug a traceback."""
    try:
        return command(args)
    except Exception as exc:  # noqa: BLE001
        if isinstance(exc, user_errors()):
            return fail(prog, str(exc))
        raise
