"""Atomic writes: write a temporary file beside the target, then rename it into place."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside `target` that replaces it only if the block succeeds.

    The temporary name keeps the target's suffixes (Keras checks for `.weights.h5`).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(target.suffixes)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name.split('.')[0]}-", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as h5py want to create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_json(target: str | os.PathLike, obj) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")
