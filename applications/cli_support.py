"""What the application CLIs share: a user's mistake becomes one sentence (exit 2), progress goes
to stderr when --json owns stdout."""

from __future__ import annotations

import sys

from zoo.core import backend, errors
from zoo.core.flags import ArgumentParser, UsageError

__all__ = ["ArgumentParser", "log_for", "main", "run_command"]


def main(prog: str, parser: ArgumentParser, commands: dict, argv) -> int:
    """Parse `argv` and run its sub-command; any mistake is one sentence on stderr and exit 2.
    From the shell (argv None), the frameworks' native log lines are kept off the terminal."""
    if argv is None:
        backend.keep_native_logs_off_the_terminal()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return errors.fail(prog, str(exc))
    return run_command(prog, commands[args.command], args)


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
