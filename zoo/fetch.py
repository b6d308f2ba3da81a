"""Verified downloads: one file from a URL into a folder, sha256-checked, atomic, resumed or retried.

A download streams into `<target>.part` beside the target; an interrupted transfer continues from
the bytes already there (an HTTP Range request) on the next try; the file is renamed into place
only when its size and sha256 are right, and nothing is left behind when they are not.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHUNK = 1 << 20


class DownloadError(ValueError):
    """A file that could not be fetched whole and verified (one sentence for the user)."""


def download(
    url: str,
    target: str | os.PathLike,
    expected_sha256: str | None,
    size: int | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Fetch `url` to `target`, verified against `expected_sha256` (and `size`); returns the target path.
    `expected_sha256` None takes the file as it comes (an upstream file the caller converts and checks).

    Example:
        >>> download("https://example.org/x.weights.h5", "cache/x.weights.h5", expected_sha256=...)
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.touch()
    except OSError as exc:
        raise DownloadError(f"cannot write into the cache folder {target.parent} ({exc.strerror}).") from None
    problem = "no attempt was made"
    for attempt in range(1, retries + 1):
        try:
            _transfer(url, partial, size, timeout, progress)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            problem = _describe(exc)
            if isinstance(exc, urllib.error.HTTPError) and exc.code == 404:
                break  # it is not there: retrying will not help
            time.sleep(min(2.0, 0.2 * attempt))
            continue
        found = sha256(partial)
        if found == (expected_sha256 or found) and (size is None or partial.stat().st_size == size):
            os.replace(partial, target)
            return target
        problem = f"the file received has sha256 {found[:16]}..., expected {expected_sha256[:16]}..."
        partial.unlink(missing_ok=True)  # corrupt: the next try starts from zero
    partial.unlink(missing_ok=True)
    raise DownloadError(f"could not download {url} ({problem}).")


def _transfer(url: str, partial: Path, size: int | None, timeout: float, progress: bool) -> None:
    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have >= size:
        return
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = response.status == 206
        mode = "ab" if resumed else "wb"
        total = size or (int(response.headers.get("Content-Length", 0)) + (have if resumed else 0)) or None
        done = have if resumed else 0
        shown = progress and sys.stderr.isatty()
        with open(partial, mode) as out:
            while block := response.read(CHUNK):
                out.write(block)
                done += len(block)
                if shown:
                    share = f"{done / total:.0%}" if total else f"{done / 1e6:.1f} MB"
                    print(f"\rdownloading {partial.name[:-5]}: {share}", end="", file=sys.stderr, flush=True)
        if shown:
            print(file=sys.stderr)
        if total is not None and done < total:
            raise OSError(f"the transfer stopped after {done} of {total} bytes")


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"no connection: {exc.reason}"
    return str(exc) or type(exc).__name__


def sha256(path: str | os.PathLike) -> str:
    """The file's sha256, hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()
