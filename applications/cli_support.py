"""What the application CLIs share: a user's mistake becomes one sentence (exit 2), progress goes
to stderr when --json owns stdout."""

from __future__ import annotations

import sys

from zoo.core import errors


def log_for(args):
    """An application command's progress printer: stderr when --json owns stdout, else print."""
    return (lambda message: print(message, file=sys.stderr)) if getattr(args, "json", False) else print


def run_command(prog: str, command, args) -> int:
    """Run an application sub-command: a user's mistake becomes one sentence (exit 2), a bug a traceback."""
    try:
        return command(args)
    except Exception as exc:  # noqa: BLE001
        if isinstance(exc, errors.user_errors()):
            return errors.fail(prog, str(exc))
        raise
