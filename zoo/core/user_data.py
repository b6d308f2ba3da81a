"""A user's own labeled images, for `zoo finetune` and `zoo eval --data`: a folder with one subfolder
per class (PNG/JPEG of any size, converted as the model's card says), or an .npz with `x` and `y`.

Every problem is one sentence naming the file or folder; unreadable images are refused with their
list, or skipped and counted (`skip_bad`).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zoo.core import inputs

SPLIT_FOLDERS = ("train", "val")  # a data folder holding these two (folders or .npz) uses them as its split
SHOWN = 5  # bad files named in an error before "and N more"


class DataError(ValueError):
    """User data that cannot be used as it is (one sentence, exit 2)."""


@dataclass
class LabeledImages:
    """Images (N, H, W[, C]) as the model reads them, labels 0..K-1, and the K class names."""

    x: np.ndarray
    y: np.ndarray
    classes: list[str]
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, rows) -> LabeledImages:
        return LabeledImages(self.x[rows], self.y[rows], self.classes, self.skipped)

    def relabel(self, order: list[str]) -> LabeledImages:
        """The same examples numbered by `order`, a list holding every one of this set's classes."""
        mapping = np.array([order.index(c) for c in self.classes], dtype="int64")
        return LabeledImages(self.x, mapping[self.y], list(order), self.skipped)

    def fingerprint(self) -> str:
        """sha256 of the images and labels as the model reads them: which data a model saw."""
        hashed = hashlib.sha256()
        for array in (self.x, self.y):
            hashed.update(f"{array.dtype.str}|{array.shape}|".encode())
            hashed.update(np.ascontiguousarray(array).tobytes())
        return hashed.hexdigest()


def _listing(paths: list[str]) -> str:
    more = f" and {len(paths) - SHOWN} more" if len(paths) > SHOWN else ""
    return ", ".join(paths[:SHOWN]) + more


def read_images(path: str | os.PathLike, spec, skip_bad: bool = False) -> LabeledImages:
    """One labeled set: a folder of class subfolders, or an .npz with `x` (images) and `y` (labels)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"--data {path} does not exist.")
    if path.is_file():
        if path.suffix.lower() != ".npz":
            raise DataError(
                f"--data {path} is a file but not an .npz; give a folder of class subfolders or an .npz."
            )
        return _read_npz(path, spec)
    classes = sorted(d.name for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(
            f"--data {path} has no class subfolders; expected one subfolder per class of PNG/JPEG images."
        )
    listing = []
    for label, name in enumerate(classes):
        files = sorted(
            f for f in (path / name).rglob("*") if f.is_file() and f.suffix.lower() in inputs.IMAGE_SUFFIXES
        )
        if not files:
            raise DataError(f"the class folder {path / name} has no images (PNG or JPEG).")
        listing += [(file, label) for file in files]
    xs, ys, bad = [], [], []
    progress = _progress(len(listing), f"reading {path}")
    for done, (file, label) in enumerate(listing, start=1):
        try:
            x, _ = inputs.read_inputs([file], spec, resize=True)
        except inputs.InputError:
            bad.append(str(file))
        else:
            xs.append(x)
            ys.append(label)
        progress(done)
    if bad and not skip_bad:
        raise DataError(
            f"{len(bad)} image(s) in {path} cannot be read: {_listing(bad)}; "
            "fix or remove them, or pass --skip-bad to leave them out."
        )
    if not xs:
        raise DataError(f"no image in {path} can be read.")
    return LabeledImages(np.concatenate(xs), np.asarray(ys, dtype="int64"), classes, bad)


def _progress(total: int, what: str, every: int = 500):
    """A progress line on stderr for long reads (more than `every` files), else nothing."""
    import sys

    if total <= every:
        return lambda done: None

    def show(done: int) -> None:
        if done % every == 0 or done == total:
            print(f"{what}: {done}/{total} files", file=sys.stderr, flush=True)

    return show


def _read_npz(path: Path, spec) -> LabeledImages:
    try:
        with np.load(path, allow_pickle=False) as data:
            if "x" not in data.files or "y" not in data.files:
                raise DataError(
                    f"--data {path} must hold arrays named x and y; it holds {', '.join(data.files)}."
                )
            x, y = data["x"], data["y"]
            classes = [str(c) for c in data["classes"]] if "classes" in data.files else None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"--data {path} is not a readable .npz file ({type(exc).__name__}).") from None
    if x.ndim == 0 or y.ndim != 1 or len(x) != len(y):
        raise DataError(
            f"--data {path}: x has shape {x.shape} and y {y.shape}; expected one label per image."
        )
    if not np.issubdtype(y.dtype, np.integer) or (len(y) and y.min() < 0):
        raise DataError(
            f"--data {path}: y must hold whole-number labels 0, 1, ...; it holds {y.dtype} values."
        )
    try:
        x = inputs.check_values(x, f"{path} (x)")
        if "color" in spec.input:  # images of another size or colour are converted as files are
            x = inputs.convert_images(x, spec)
        x = inputs.as_model_input(x, spec, f"{path} (x)")
    except inputs.InputError as exc:
        raise DataError(str(exc)) from None
    n_classes = int(y.max()) + 1 if len(y) else 0
    classes = classes or [str(k) for k in range(n_classes)]
    if len(classes) < n_classes:
        raise DataError(
            f"--data {path}: y has labels up to {n_classes - 1} but only {len(classes)} class names."
        )
    return LabeledImages(x, y.astype("int64"), classes)


def read_split(path: str | os.PathLike, spec, val_split: float, seed: int, skip_bad: bool = False):
    """(train, val): the folder's own train/ and val/ (or train.npz and val.npz) when it has both, else
    a seeded stratified split of all the data."""
    path = Path(path)
    for parts in ([path / s for s in SPLIT_FOLDERS], [path / f"{s}.npz" for s in SPLIT_FOLDERS]):
        if path.is_dir() and all(p.exists() for p in parts):
            return _given_split(*parts, spec, skip_bad)
    data = read_images(path, spec, skip_bad)
    check_classes(data, path)
    train_rows, val_rows = stratified_split(data, val_split, seed, path)
    return data.subset(train_rows), data.subset(val_rows)


def _given_split(train_path: Path, val_path: Path, spec, skip_bad: bool):
    train, val = read_images(train_path, spec, skip_bad), read_images(val_path, spec, skip_bad)
    if val.classes != train.classes:
        raise DataError(
            f"{train_path} and {val_path} hold different classes "
            f"({', '.join(train.classes)} vs {', '.join(val.classes)})."
        )
    check_classes(train, train_path)
    check_classes(val, val_path)
    return train, val


def check_classes(data: LabeledImages, path) -> None:
    present = np.bincount(data.y, minlength=len(data.classes))
    if len(data.classes) < 2:
        raise DataError(
            f"{path} has one class ({data.classes[0]}); fine-tuning a classifier needs two or more."
        )
    empty = [c for c, n in zip(data.classes, present, strict=True) if n == 0]
    if empty:
        raise DataError(f"{path}: the classes {', '.join(empty)} have no readable examples.")


def stratified_split(data: LabeledImages, val_split: float, seed: int, path) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a seeded split keeping each class's share in both parts (scikit-learn's)."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(data.y, minlength=len(data.classes))
    smallest = int(np.argmin(counts))
    n_val = int(np.ceil(val_split * len(data)))
    if counts[smallest] < 2 or n_val < len(data.classes) or len(data) - n_val < len(data.classes):
        raise DataError(
            f"{path} has too few images for a validation split of {val_split:g}: {len(data)} in all, "
            f"{counts[smallest]} in class {data.classes[smallest]}; each class needs at least 2 and the "
            f"split at least one per class (add images, change --val-split, or give train/ and val/ folders)."
        )
    rows = np.arange(len(data))
    train, val = train_test_split(rows, test_size=n_val, stratify=data.y, random_state=seed)
    absent = [c for k, c in enumerate(data.classes) if not np.any(data.y[val] == k)]
    if absent:  # a class too small for its share of the split: validation could not measure it
        raise DataError(
            f"{path}: a validation split of {val_split:g} holds no image of {', '.join(absent)}; "
            "add images of it, raise --val-split, or give train/ and val/ folders."
        )
    return np.sort(train), np.sort(val)


@dataclass
class LabeledTable:
    """Rows of numeric features (N, F) and their target (N,), with the column names."""

    x: np.ndarray
    y: np.ndarray
    columns: list[str]
    target: str
    skipped: list[str] = field(default_factory=list)  # rows are never skipped: bad ones are refused

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, rows) -> LabeledTable:
        return LabeledTable(self.x[rows], self.y[rows], self.columns, self.target)

    def fingerprint(self) -> str:
        return LabeledImages.fingerprint(self)  # the same sha256 over x and y


def read_table(path: str | os.PathLike, target: str | None, columns: list[str] | None = None) -> LabeledTable:
    """A CSV of numeric feature columns and a `target` column; `columns` fixes which features (and
    their order) a trained model reads, else every column but the target is a feature."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"--data {path} is not a file; give a CSV with a header row.")
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
        raise DataError(f"--data {path} is not a readable CSV ({type(exc).__name__}).") from None
    if target is None:
        raise DataError(
            f"--target is required: the column of {path} to predict ({', '.join(map(str, table.columns))})."
        )
    wanted = columns if columns is not None else [c for c in table.columns if c != target]
    missing = [c for c in (*wanted, target) if c not in table.columns]
    if missing:
        raise DataError(
            f"{path} lacks the columns {', '.join(missing)}; it has {', '.join(map(str, table.columns))}."
        )
    if not wanted:
        raise DataError(f"{path} has no feature columns besides the target {target}.")
    numeric = table[[*wanted, target]].apply(pd.to_numeric, errors="coerce")
    text = [c for c in numeric.columns if numeric[c].isna().sum() > table[c].isna().sum()]
    if text:
        raise DataError(
            f"{path}: the columns {', '.join(text)} hold text; every feature and the target must be numbers."
        )
    gaps = [c for c in numeric.columns if numeric[c].isna().any() or not np.isfinite(numeric[c]).all()]
    if gaps:
        raise DataError(
            f"{path}: the columns {', '.join(gaps)} have missing or infinite values; fill or drop those rows."
        )
    return LabeledTable(
        numeric[wanted].to_numpy("float32"),
        numeric[target].to_numpy("float32"),
        [str(c) for c in wanted],
        str(target),
    )


def random_split(data, val_split: float, seed: int, path, least: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a seeded shuffle split; both parts need at least `least` rows."""
    n_val = int(np.ceil(val_split * len(data)))
    if n_val < least or len(data) - n_val < least:
        raise DataError(
            f"{path} has {len(data)} rows: too few for a validation split of {val_split:g} "
            f"(each part needs at least {least})."
        )
    order = np.random.default_rng(seed).permutation(len(data))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


TEXT_SUFFIXES = {".txt", ".md", ".text"}


def read_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file, or the .txt files of a folder (sorted by name, joined by newlines)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"--data {path} does not exist.")
    files = (
        [path] if path.is_file() else sorted(f for f in path.rglob("*") if f.suffix.lower() in TEXT_SUFFIXES)
    )
    if not files:
        raise DataError(f"--data {path} holds no text files (.txt).")
    parts = []
    for file in files:
        raw = file.read_bytes()
        try:
            parts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataError(
                f"{file} is not UTF-8 text (byte {exc.start}, line {line}); save it as UTF-8."
            ) from None
    text = "\n".join(parts)
    if not text.strip():
        raise DataError(f"--data {path} holds no text.")
    return text


@dataclass
class LabeledText:
    """A text as a language model's data: its length (characters scored) and fingerprint."""

    text: str
    scored: int | None = None
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.text) if self.scored is None else self.scored

    def fingerprint(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Interactions:
    """Who has which item: a binary users x items CSR matrix and the ids its rows and columns stand for."""

    matrix: object  # scipy.sparse.csr_matrix
    users: list[str]
    items: list[str]
    skipped: list[str] = field(default_factory=list)  # rows whose ids a trained model does not know

    def __len__(self) -> int:
        return int(self.matrix.nnz)

    def with_matrix(self, matrix) -> Interactions:
        return Interactions(matrix, self.users, self.items, self.skipped)

    def fingerprint(self) -> str:
        hashed = hashlib.sha256()
        for array in (self.matrix.indptr, self.matrix.indices):
            hashed.update(np.ascontiguousarray(array, dtype="int64").tobytes())
        return hashed.hexdigest()


def _string_csv(path, flag: str, required: tuple[str, ...]):
    """A CSV read as text (ids stay as written), with its `required` columns checked."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{flag} {path} is not a file; give a CSV with the columns {', '.join(required)}.")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{flag} {path} is not a readable CSV ({type(exc).__name__}).") from None
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise DataError(
            f"{path} lacks the columns {', '.join(missing)}; it has {', '.join(map(str, table.columns))}."
        )
    return table


def read_interactions(path: str | os.PathLike, users=None, items=None) -> Interactions:
    """A CSV with `user` and `item` columns (an optional `rating` column is not used: every row is an
    interaction). `users` / `items` fix the id order of a trained model; rows with other ids are skipped."""
    from scipy import sparse

    table = _string_csv(path, "--data", ("user", "item"))
    blank = int(((table["user"].str.strip() == "") | (table["item"].str.strip() == "")).sum())
    if blank:
        raise DataError(f"{path} has {blank} rows with an empty user or item; fill or drop them.")
    pairs = table[["user", "item"]].drop_duplicates()
    user_ids = list(users) if users is not None else sorted(pairs["user"].unique())
    item_ids = list(items) if items is not None else sorted(pairs["item"].unique())
    rows = pairs["user"].map({u: i for i, u in enumerate(user_ids)})
    columns = pairs["item"].map({v: i for i, v in enumerate(item_ids)})
    known = rows.notna() & columns.notna()
    skipped = [f"{u},{v}" for u, v in pairs[~known].itertuples(index=False)]
    matrix = sparse.csr_matrix(
        (np.ones(int(known.sum()), "float32"), (rows[known].astype(int), columns[known].astype(int))),
        shape=(len(user_ids), len(item_ids)),
    )
    if matrix.nnz == 0:
        raise DataError(f"{path} holds no interactions{' with ids this model knows' if skipped else ''}.")
    return Interactions(matrix, user_ids, item_ids, skipped)


def read_item_table(path: str | os.PathLike, items: list[str]) -> tuple[list[str], list[tuple[str, ...]]]:
    """Titles and genres ("A|B") of `items` from a CSV of `item`, `title` and an optional `genres`."""
    table = _string_csv(path, "--items", ("item", "title"))
    by_id = table.drop_duplicates("item").set_index("item")
    titles = [by_id["title"].get(i, i) for i in items]
    genres = [
        tuple(g for g in str(by_id["genres"].get(i, "")).split("|") if g) if "genres" in by_id else ()
        for i in items
    ]
    return titles, genres
