"""What counts as a user's mistake (one sentence, exit 2) rather than a bug (a traceback)."""

from __future__ import annotations

import sys

EXIT_USAGE = 2


class RunLocked(RuntimeError):
    """Another process trains in the same run directory."""


def user_errors() -> tuple[type[Exception], ...]:
    """Every exception type that means "the input was wrong", not "the code is wrong"."""
    from zoo.core.backend import BackendError
    from zoo.core.hub import WeightsError
    from zoo.core.inputs import InputError
    from zoo.core.registry import UnknownModel
    from zoo.datasets import DatasetNotFound

    return (
        BackendError,
        DatasetNotFound,
        WeightsError,
        InputError,
        UnknownModel,
        RunLocked,
        ValueError,
        FileExistsError,
    )


def fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return EXIT_USAGE
