"""What users tell the served models, kept in a real database through SQLAlchemy.

SQLite is the default (a file, created on first use); any SQLAlchemy URL works, e.g.
postgresql+psycopg://user@host/db. One table: every like, dislike and corrected label with its time,
the model and its version, the input's sha256, and (for corrections) the input itself, so that the
corrections can become a fine-tuning set (`zoo feedback export`).
"""

from __future__ import annotations

import datetime
import hashlib
from pathlib import Path

import sqlalchemy as sa

KINDS = ("like", "dislike", "label")
MAX_INPUT_BYTES = 10 * 2**20

METADATA = sa.MetaData()
FEEDBACK = sa.Table(
    "feedback",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("model", sa.String(200), nullable=False, index=True),
    sa.Column("version", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("label", sa.String(500)),  # the right label, or the liked / disliked title
    sa.Column("user", sa.String(200)),  # who gave it (a page session or an API client's id)
    sa.Column("input_sha256", sa.String(64)),
    sa.Column("input", sa.LargeBinary),  # the image a correction is about
)


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_url() -> str:
    return "sqlite:///runs/feedback.db"


class FeedbackStore:
    """The feedback table at a database URL; the schema is created on first use.

    Example:
        >>> store = FeedbackStore("sqlite:///runs/feedback.db")
        >>> store.add(model="two_tower", version="shipped", kind="like", label="Cowboy Bebop")
        >>> store.rows(model="two_tower")[0]["label"]
        'Cowboy Bebop'
    """

    def __init__(self, url: str):
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise ValueError(
                f"--db {url!r} is not a database URL; e.g. sqlite:///runs/feedback.db or "
                "postgresql+psycopg://user@host/db."
            ) from None
        self.shown = parsed.render_as_string(hide_password=True)  # what messages and logs may print
        options = {"pool_pre_ping": True}
        if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
            # one in-memory database shared by the server's threads (each connection would get its own)
            options = {"poolclass": sa.pool.StaticPool, "connect_args": {"check_same_thread": False}}
        elif parsed.get_backend_name() == "sqlite":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = sa.create_engine(parsed, **options)
        except ModuleNotFoundError as exc:
            raise ValueError(f"--db {url!r} needs the {exc.name} package; pip install it.") from None
        self._ready = False

    def _schema(self):
        if not self._ready:
            try:
                METADATA.create_all(self.engine)
            except sa.exc.OperationalError as exc:
                reason = str(exc.orig).strip().splitlines()[0].rstrip(".")
                raise ValueError(f"cannot open the feedback database {self.shown}: {reason}.") from None
            self._ready = True

    def add(self, *, model: str, version: str, kind: str, label: str | None = None, user: str | None = None,
            input: bytes | None = None, input_sha256: str | None = None) -> int:  # fmt: skip
        """Store one piece of feedback; returns its id."""
        if kind not in KINDS:
            raise ValueError(f"feedback kind {kind!r} is not one of {', '.join(KINDS)}.")
        if kind == "label" and not label:
            raise ValueError("a corrected label needs the right label.")
        if input is not None and len(input) > MAX_INPUT_BYTES:
            raise ValueError(
                f"the input is {len(input)} bytes; feedback keeps inputs up to {MAX_INPUT_BYTES}."
            )
        self._schema()
        row = {
            "created": datetime.datetime.now(datetime.timezone.utc),
            "model": model,
            "version": version,
            "kind": kind,
            "label": label,
            "user": user,
            "input_sha256": input_sha256 or (fingerprint(input) if input is not None else None),
            "input": input,
        }
        with self.engine.begin() as connection:
            return int(connection.execute(FEEDBACK.insert().values(**row)).inserted_primary_key[0])

    def rows(self, model: str | None = None, kind: str | None = None, with_input: bool = False) -> list[dict]:
        """Feedback in the order it came, optionally of one model and kind."""
        self._schema()
        columns = [c for c in FEEDBACK.c if with_input or c.name != "input"]
        query = sa.select(*columns).order_by(FEEDBACK.c.id)
        if model is not None:
            query = query.where(FEEDBACK.c.model == model)
        if kind is not None:
            query = query.where(FEEDBACK.c.kind == kind)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]


def export_corrections(store: FeedbackStore, model: str, out) -> int:
    """The corrected images of `model` as class subfolders (OUT/<label>/<id>.png), a data set that
    `zoo finetune MODEL --data OUT` reads; the latest correction of an image wins. Returns the count."""
    import shutil
    import tempfile

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out {out} exists and is not an empty folder; name a new folder.")
    latest: dict[str, dict] = {}
    for row in store.rows(model=model, kind="label", with_input=True):
        if row["input"] is not None:
            latest[fingerprint(row["input"])] = row  # the stored bytes' own hash, not a client's claim
    if not latest:
        raise ValueError(f"the feedback database holds no corrected images of {model}.")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))  # renamed into place at the end
    try:
        for row in latest.values():
            folder = staging / _safe(row["label"])
            folder.mkdir(exist_ok=True)
            suffix = ".jpg" if row["input"][:3] == b"\xff\xd8\xff" else ".png"
            (folder / f"{row['id']}{suffix}").write_bytes(row["input"])
        if out.exists():
            out.rmdir()
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(latest)


def _safe(label: str) -> str:
    """A label as a folder name (the class subfolders name the classes)."""
    import re

    name = re.sub(r"[^\w .-]", "_", label).strip(" .")
    if not name:
        raise ValueError(f"the label {label!r} cannot name a folder.")
    return name
