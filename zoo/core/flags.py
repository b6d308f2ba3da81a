"""The one validator of numeric command-line flags: argparse types that refuse a bad value with
a sentence naming it and the accepted range (used by `zoo` and the application CLIs)."""

from __future__ import annotations

import argparse
import math


class UsageError(Exception):
    """A command line that does not parse: one sentence, then "see --help"."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one sentence naming the flag and "see --help" (no usage dump)."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`).")


def whole(low: int = 1, high: int | None = None):
    """An argparse type: a whole number in [low, high] (high None: no upper bound).

    Example:
        >>> parser.add_argument("--epochs", type=whole(1))
    """

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number ({_range(low, high)})"
            ) from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range ({_range(low, high)})")
        return value

    parse.__name__ = "whole number"
    return parse


def number(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
):
    """An argparse type: a finite float in [low, high]; low_open / high_open leave an end out."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        bad = not math.isfinite(value)
        bad = bad or (low is not None and (value <= low if low_open else value < low))
        bad = bad or (high is not None and (value >= high if high_open else value > high))
        if bad:
            lower = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
            upper = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
            accepted = " and ".join(part for part in (lower, upper) if part) or "finite"
            raise argparse.ArgumentTypeError(f"{text} is not accepted (a finite number {accepted})")
        return value

    parse.__name__ = "number"
    return parse


def _range(low: int, high: int | None) -> str:
    return f">= {low}" if high is None else f"{low} to {high}"


def check_port_free(host: str, port: int, advice: str) -> None:
    """Refuse, in one sentence ending with `advice`, a port another program holds (a server or a
    rendezvous would otherwise fail later with a traceback)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # as servers and torch's store bind: a port only in TIME_WAIT after a run is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ValueError(f"cannot listen on {host}:{port}: {exc.strerror.lower()}; {advice}.") from None
