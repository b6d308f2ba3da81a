"""Verified downloads: one file from a URL into a folder, sha256-checked, atomic, resumed or retried.
A URL may also be a Hugging Face Hub handle, hf://ORG/REPO[@REVISION]/FILE (huggingface_hub fetches it;
$HF_ENDPOINT names another hub). With $ZOO_OFFLINE set, only URLs on this machine (127.0.0.1, localhost:
a local mirror) are fetched; anything else is refused before a connection is tried.

A download streams into `<target>.part` beside the target; an interrupted transfer continues from
the bytes already there (an HTTP Range request) on the next try; the file is renamed into place
only when its size and sha256 are right, and nothing is left behind when they are not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
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
    if os.environ.get("ZOO_OFFLINE", "") not in ("", "0") and not _loopback(url):
        raise DownloadError(f"not downloading {url}: ZOO_OFFLINE is set (only mirrors on this machine).")
    if url.startswith("hf://"):
        return _download_from_hub(url, target, expected_sha256, size)
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
        problem = (
            f"the file received has sha256 {found[:16]}..., expected {expected_sha256[:16]}..."
            if expected_sha256 and found != expected_sha256
            else f"the file received has {partial.stat().st_size} bytes, expected {size}"
        )
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


def parse_hub(url: str) -> tuple[str, str | None, str]:
    """hf://ORG/REPO[@REVISION][/FILE] -> (repo id, revision or None, file or "")."""
    parts = url[len("hf://") :].split("/", 2)
    if len(parts) < 2 or not all(parts[:2]):
        raise DownloadError(f"{url!r} is not a Hugging Face handle; write hf://ORG/REPO[@REVISION].")
    repo, _, revision = parts[1].partition("@")
    return f"{parts[0]}/{repo}", revision or None, parts[2] if len(parts) > 2 else ""


def _download_from_hub(url: str, target: Path, expected_sha256: str | None, size: int | None) -> Path:
    """One file of a Hub repository into `target`, checked as any download (huggingface_hub resumes)."""
    import tempfile

    repo, revision, filename = parse_hub(url)
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise DownloadError(f"{url} needs huggingface_hub: pip install huggingface_hub.") from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.mkdtemp(dir=target.parent, prefix=".hub-")
    except OSError as exc:
        raise DownloadError(f"cannot write into {target.parent} ({exc.strerror or exc}).") from None
    try:
        try:
            got = Path(hf_hub_download(repo, filename, revision=revision, local_dir=scratch,
                                       endpoint=os.environ.get("HF_ENDPOINT") or None))  # fmt: skip
        except Exception as exc:  # noqa: BLE001  huggingface_hub's errors: HTTP, offline, unknown repo
            raise DownloadError(f"could not download {url} ({_hub_reason(exc)}).") from None
        found = sha256(got)
        if expected_sha256 and found != expected_sha256 or size is not None and got.stat().st_size != size:
            problem = (
                f"sha256 {found[:16]}..., expected {expected_sha256[:16]}..."
                if expected_sha256 and found != expected_sha256
                else f"{got.stat().st_size} bytes, expected {size}"
            )
            raise DownloadError(f"could not download {url} (the file received has {problem}).")
        os.replace(got, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _hub_reason(exc: Exception) -> str:
    """huggingface_hub's error as a few words (its own messages run to paragraphs)."""
    known = {
        "EntryNotFoundError": "the repository has no such file",
        "RepositoryNotFoundError": "no such repository, or it is private",
        "RevisionNotFoundError": "no such revision",
        "LocalEntryNotFoundError": "the file is not on the Hub or the Hub could not be reached",
        "GatedRepoError": "the repository is gated: log in with `hf auth login`",
    }
    name = type(exc).__name__
    return known.get(name) or f"{name}: {(str(exc).strip().splitlines() or [''])[0].rstrip('.')}"


def _loopback(url: str) -> bool:
    """Whether a URL (or the Hub endpoint an hf:// handle goes to) is on this machine."""
    if url.startswith("hf://"):
        url = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    return urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


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
