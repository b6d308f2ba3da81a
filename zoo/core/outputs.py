"""Output paths checked before any work starts: a wrong kind of path or a folder that cannot be
written is one sentence, not a traceback after minutes of computing."""

from __future__ import annotations

import os
from pathlib import Path


def check_file(path: str | os.PathLike, suffixes: tuple[str, ...] = (), flag: str = "--out") -> Path:
    """`path` can be written as a file of one of `suffixes` (e.g. (".png",)); returns it as a Path.

    Example:
        >>> check_file("digits.png", (".png",))
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"{flag} {path} is a folder; give a file name ending in {' or '.join(suffixes) or 'a suffix'}."
        )
    if suffixes and path.suffix.lower() not in suffixes:
        raise ValueError(f"{flag} {path} must end in {' or '.join(suffixes)}; that is the format written.")
    _check_writable_folder(path.parent, flag, path)
    return path


def check_folder(path: str | os.PathLike, flag: str = "--out") -> Path:
    """`path` is (or can be made) a folder this process can write into; returns it as a Path."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{flag} {path} is a file; give a folder.")
    _check_writable_folder(path, flag, path)
    return path


def _check_writable_folder(folder: Path, flag: str, shown: Path) -> None:
    existing = folder if str(folder) else Path(".")
    while not existing.exists():  # the nearest folder that exists decides whether we may create the rest
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{flag} {shown}: {existing} is a file, not a folder.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{flag} {shown}: the folder {existing} is not writable.")
