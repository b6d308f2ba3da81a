"""What the web pages and the HTTP API ask of the models, in one place: both call these methods.

Models load once, on first use, and are shared by requests; a lock per model lets one request at a
time run it (the frameworks' models are not all safe to call from several threads). Every mistake in
a request raises ValueError (a 4xx, one sentence) or LookupError (an unknown model or title, 404).
"""

from __future__ import annotations

import functools
import io
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import zoo
from zoo.core import backend, model_dir, registry, versions
from zoo.core.feedback import FeedbackStore, fingerprint
from zoo.tasks import NotSupported

MAX_FILES = 32  # images per predict request
MAX_PROMPT = 2_000  # characters of a prompt
MAX_NEW = 2_000  # characters generated per request
MAX_TOP = 10
RECOMMENDERS = ("two_tower", "mult_vae")  # those that take liked titles (neumf knows only its users)


class UnknownName(LookupError):
    """A model, ticker or title the server does not have (404)."""


@dataclass
class Loaded:
    name: str
    spec: object
    task: object
    model: object
    version: str
    source: str  # "shipped", a model directory, or a flywheel version's folder
    lock: threading.Lock = field(default_factory=threading.Lock)


class Service:
    """The served models and the feedback store.

    Args:
        names: registered model names to serve (default: every one with a page).
        models_dir: a folder whose subfolders are model directories (`zoo finetune --out`): served too.
        versions_dir: the flywheel's versions folder (zoo.core.versions): a name with a promoted
            version serves that version, and a newer promotion is picked up on the next request.
        db: the feedback database URL (SQLAlchemy).
    """

    def __init__(self, names=None, models_dir=None, versions_dir=None, db=None):
        self.paths = {name: name for name in (names or registry.names())}
        for name in list(self.paths):
            if name not in registry.names():
                raise ValueError(f"--models names {name!r}, which is not a zoo model; see `zoo list`.")
        if models_dir is not None:
            root = Path(models_dir)
            if not root.is_dir():
                raise ValueError(f"--models-dir {models_dir} is not a folder.")
            for path in sorted(root.iterdir()):
                if model_dir.is_model_dir(path):
                    if path.name in self.paths:
                        raise ValueError(
                            f"{path} has the name of a served zoo model ({path.name}); rename the folder."
                        )
                    self.paths[path.name] = str(path)
        self.paths = {n: p for n, p in self.paths.items() if _has_page(p)}
        self.versions_dir = versions_dir
        self.store = FeedbackStore(db or "sqlite:///runs/feedback.db")
        self._loaded: dict[str, Loaded] = {}
        self._loading = {name: threading.Lock() for name in self.paths}  # one model loads while others serve

    # The catalogue.

    def names(self) -> list[str]:
        return list(self.paths)

    def describe(self, name: str) -> dict:
        """What the API's /models lists: a model's task, page, labels and the version served."""
        spec = self._spec(name)
        current = versions.current_dir(self.versions_dir, name)
        return {
            "name": name,
            "task": spec.kind,
            "page": spec.tasks().serve(),
            "description": spec.description,
            "labels": list(spec.labels),
            "version": current.name if current else _weights_version(spec),
            "loaded": name in self._loaded,
        }

    def card(self, name: str) -> dict:
        self._spec(name)
        return zoo.card(self.paths[name])

    def _spec(self, name: str):
        if name not in self.paths:
            raise UnknownName(f"unknown model {name!r}; served: {', '.join(self.paths)}.")
        return model_dir.resolve(self.paths[name])

    def get(self, name: str) -> Loaded:
        """The loaded model (built and its weights read on first use; a newly promoted version swaps in)."""
        spec = self._spec(name)
        with self._loading[name]:  # read the served version and swap under one lock: no flip-flopping
            current = versions.current_dir(self.versions_dir, name)
            source = str(current) if current else self.paths[name]
            loaded = self._loaded.get(name)
            if loaded is None or loaded.source != source:
                spec = model_dir.resolve(source) if current else spec
                version = current.name if current else _weights_version(spec)
                loaded = Loaded(name, spec, spec.tasks(), spec.load(), version, source)
                self._loaded[name] = loaded
            return loaded

    def warm(self) -> None:
        """Load every served model now (for a server that should answer its first request fast)."""
        for name in self.paths:
            self.get(name)

    # Classifiers (and the regressor).

    def predict_files(self, name: str, uploads: list[tuple[str, bytes]], top: int = 5) -> list[dict]:
        """Uploaded files (name, bytes) -> one prediction each, in the API's fixed format."""
        if not uploads:
            raise ValueError("no file was uploaded; send one or more multipart fields named 'file'.")
        if len(uploads) > MAX_FILES:
            raise ValueError(f"{len(uploads)} files were uploaded; send at most {MAX_FILES} per request.")
        loaded = self.get(name)
        with tempfile.TemporaryDirectory(prefix="zoo-serve-") as folder:
            paths = []
            for i, (filename, data) in enumerate(uploads):
                suffix = re.sub(r"[^a-z0-9.]", "", Path(filename or "").suffix.lower())[:8]
                path = Path(folder) / f"upload{i}{suffix}"
                path.write_bytes(data)
                paths.append(str(path))
            try:
                x, sources = loaded.task.read_inputs(paths, resize=True)
            except NotSupported:
                raise ValueError(f"{name} does not read uploaded files; see its page.") from None
            except ValueError as exc:  # the message names the temporary file: name the upload instead
                raise ValueError(_name_uploads(str(exc), paths, uploads)) from None
        results = self.predict_array(name, x, top)
        by_path = {path: upload for path, upload in zip(paths, uploads, strict=True)}
        rows = {path: sources.count(path) for path in paths}
        seen: dict[str, int] = {}
        for result, source in zip(results, sources, strict=True):  # an .npy may hold several rows
            filename, data = by_path[source]
            row = seen[source] = seen.get(source, -1) + 1
            result["file"] = f"{filename}[{row}]" if rows[source] > 1 else filename
            result["input_sha256"] = fingerprint(data)
        return results

    def predict_array(self, name: str, x: np.ndarray, top: int = 5) -> list[dict]:
        """Images already in the model's input layout -> predictions (label, probability, top)."""
        if not 1 <= top <= MAX_TOP:
            raise ValueError(f"top must be between 1 and {MAX_TOP}, got {top}.")
        loaded = self.get(name)
        expected = tuple(loaded.model.input_shape[1:])
        if int(np.prod(x.shape[1:])) != int(np.prod(expected)):  # (28, 28) is (28, 28, 1) without its axis
            raise ValueError(f"{name} reads inputs of shape {expected}, got {tuple(x.shape[1:])}.")
        with loaded.lock:
            raw = loaded.task.predict(loaded.model, x, top=top)
        if "prediction" in raw[0]:  # the regressor: a number per row
            return raw
        results = []
        for row in raw:
            ranked = [
                {"label": t.get("name", str(t["label"])), "probability": t["probability"]} for t in row["top"]
            ]
            chosen = ranked[0]
            if "decision" in row:  # a binary model's label is its decision at the shipped threshold
                decided = row["decision"].get("name", str(row["decision"]["label"]))
                listed = [r for r in ranked if r["label"] == decided]  # top=1 may list only the other
                chosen = (
                    listed[0] if listed else {"label": decided, "probability": 1 - ranked[0]["probability"]}
                )
            results.append({"label": chosen["label"], "probability": chosen["probability"], "top": ranked})
        if loaded.task.serve() == "medical":
            for result, decision in zip(results, self.diagnose(name, x), strict=True):
                result.update(decision)
        return results

    def diagnose(self, name: str, x: np.ndarray) -> list[dict]:
        """The medical page's figures: P(finding), the operating point's decision, the Grad-CAM map."""
        from applications.medical_imaging import analysis
        from applications.medical_imaging import metrics as m
        from applications.medical_imaging.gradcam import gradcam

        loaded = self.get(name)
        positive = loaded.spec.options.get("positive_label", 1)
        point = _operating_point(loaded.spec, analysis, loaded.task.threshold(loaded.model))
        with loaded.lock:
            logits = loaded.task.outputs(loaded.model, x)
            cams = gradcam(loaded.model, x, positive)
        probabilities = m.probabilities(m.disease_logits(logits, positive), point["temperature"])
        finding = loaded.spec.labels[positive]
        return [
            {
                "finding": finding,
                "finding_probability": float(p),
                "threshold": point["threshold"],
                "flagged": bool(p >= point["threshold"]),
                "operating_point": point["source"],
                "overlay": heatmap_overlay(image, cam),
            }
            for p, image, cam in zip(probabilities, x, cams, strict=True)
        ]

    # Generators and the agent.

    def generate_text(self, name: str, options: dict, stream=None) -> str:
        """char_gpt continues a prompt; `stream(chunk)` gets the text as it is made."""
        prompt = options.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > MAX_PROMPT:
            raise ValueError(f"the prompt must be text of at most {MAX_PROMPT} characters.")
        max_new = options.get("max_new", 300)
        if not isinstance(max_new, int) or not 1 <= max_new <= MAX_NEW:
            raise ValueError(f"max_new must be between 1 and {MAX_NEW} characters, got {max_new}.")
        loaded = self._ability(name, "generate", "text")
        with loaded.lock:
            if stream is None:
                return loaded.task.generate(loaded.model, options)["text"]
            loaded.task.generate(loaded.model, options, stream=stream)
        return ""

    def draw(self, name: str, digit: str, n: int = 16, seed: int = 0, interpolate: bool = False) -> bytes:
        """A PNG sheet of generated digits (or an interpolation strip)."""
        loaded = self._ability(name, "generate", "drawings")
        if not isinstance(n, int) or not 1 <= n <= 100:
            raise ValueError(f"n must be between 1 and 100 images, got {n}.")
        if str(digit) == "all" and n < 10:
            raise ValueError(f"digit 'all' draws a row per digit: n must be at least 10, got {n}.")
        if interpolate and n < 2:
            raise ValueError(f"an interpolation needs n of at least 2 steps, got {n}.")
        with tempfile.TemporaryDirectory(prefix="zoo-serve-") as folder, loaded.lock:
            out = Path(folder) / "sheet.png"
            options = {"digit": str(digit), "n": n, "seed": seed, "interpolate": interpolate, "out": str(out)}
            loaded.task.generate(loaded.model, options)
            return out.read_bytes()

    def play(self, name: str, seed: int = 0) -> dict:
        """One greedy episode: its return and an animated GIF."""
        loaded = self._ability(name, "play", "episodes")
        if not isinstance(seed, int) or not 0 <= seed < 2**31:
            raise ValueError(f"seed must be a whole number from 0 to {2**31 - 1}, got {seed}.")
        with tempfile.TemporaryDirectory(prefix="zoo-serve-") as folder, loaded.lock:
            gif = Path(folder) / "episode.gif"
            result = loaded.task.play(loaded.model, episodes=1, seed=seed, gif=str(gif))
            return {"return": result["mean_return"], "seed": seed, "gif": gif.read_bytes()}

    def _ability(self, name: str, ability: str, page: str) -> Loaded:
        spec = self._spec(name)
        if spec.tasks().serve() != page:
            raise ValueError(f"{name} ({spec.kind}) does not {ability} on this endpoint.")
        return self.get(name)

    # The applications.

    @functools.cached_property
    def items(self):
        """The anime catalogue (names, genres), read once."""
        from zoo.datasets import anime

        return anime.load_items()

    def titles(self) -> list[str]:
        return list(self.items.names)

    def recommend(self, liked: list[str], k: int = 10, model: str = "two_tower") -> list[dict]:
        """The k best titles for a user who likes `liked`, each with the reason."""
        from applications.recommendation import recommend

        if model not in RECOMMENDERS:
            raise ValueError(
                f"model {model!r} does not take liked titles; use one of {', '.join(RECOMMENDERS)}."
            )
        if not isinstance(k, int) or not 1 <= k <= 100:
            raise ValueError(f"k must be between 1 and 100 titles, got {k}.")
        if not isinstance(liked, list) or not all(isinstance(t, str) for t in liked) or len(liked) > 500:
            raise ValueError("liked must be a list of at most 500 titles.")
        items = self.items
        try:
            history = recommend.history_of_titles(liked, items)
        except ValueError as exc:
            if "matches no title" in str(exc):
                raise UnknownName(str(exc)) from None
            raise
        loaded = self.get(model)
        with loaded.lock:
            results = recommend.recommend(loaded.model, history, None, items, k=k)
        return [
            {"title": r.title, "score": r.score, "because": r.because, "genres": r.genres} for r in results
        ]

    def forecast(
        self,
        ticker: str | None = None,
        csv: bytes | None = None,
        horizon: int = 5,
        filename: str = "upload.csv",
    ) -> dict:
        """Next-day and `horizon`-day volatility forecasts for a bundled ticker or an uploaded OHLC CSV,
        beside GARCH and HAR, with the band plot as PNG bytes."""
        from applications.finance import forecast
        from zoo.datasets import prices

        if horizon not in (1, 5):
            raise ValueError(f"horizon must be 1 or 5 days, got {horizon}.")
        if (ticker is None) == (csv is None):
            raise ValueError("give either a ticker of the bundled sample (SPY or IBM) or an OHLC CSV file.")
        if csv is not None:
            with tempfile.TemporaryDirectory(prefix="zoo-serve-") as folder:
                path = Path(folder) / "upload.csv"
                path.write_bytes(csv)
                try:
                    bars = prices.read_csv(path, name=Path(filename).stem or "upload")
                except ValueError as exc:  # name the user's file, not the temporary copy
                    raise ValueError(str(exc).replace(str(path), repr(filename))) from None
        else:
            try:
                bars = prices.load(ticker.strip().upper(), sample=True)
            except ValueError as exc:
                raise UnknownName(str(exc)) from None
        loaded = self.get("ts_transformer")
        with loaded.lock, tempfile.TemporaryDirectory(prefix="zoo-serve-") as folder:
            result = {h: forecast.next_forecasts(bars, loaded.model, h) for h in sorted({1, horizon})}
            plot = forecast.plot(bars, loaded.model, result[horizon], horizon, Path(folder) / "band.png")
            png = plot.read_bytes()
        return {"ticker": bars.name, "as_of": str(bars.dates[-1]), "forecasts": result, "plot": png}

    # Feedback.

    def feedback(self, *, model: str, kind: str, label=None, user=None, input=None, input_sha256=None) -> int:
        """Store a like, dislike or corrected label against the version of `model` being served."""
        spec = self._spec(model)
        current = versions.current_dir(self.versions_dir, model)
        version = current.name if current else _weights_version(spec)
        if kind == "label" and label is not None:
            labels = spec.labels
            if labels and label not in labels:
                raise ValueError(f"{label!r} is not a label of {model}; its labels are {', '.join(labels)}.")
        if input is not None:
            _check_image(input)
            if input_sha256 is not None and input_sha256 != fingerprint(input):
                raise ValueError("input_sha256 is not the sha256 of the input sent; send one of them.")
        return self.store.add(model=model, version=version, kind=kind, label=label, user=user,
                              input=input, input_sha256=input_sha256)  # fmt: skip

    def backend(self) -> str:
        return backend.current()


def _has_page(name_or_dir: str) -> bool:
    try:
        model_dir.resolve(name_or_dir).tasks().serve()
    except NotSupported:
        return False
    return True


def _weights_version(spec) -> str:
    """A version tag from the weights' sha256 (what the feedback rows are about)."""
    from zoo.core import hub

    sha = spec.weights_sha256 or hub.entry(spec.base or spec.name).get("sha256", "")
    return f"sha256:{sha[:12]}"


def _operating_point(spec, analysis, cut: float = 0.0) -> dict:
    """The validation-fitted temperature and threshold of the application's medical model; otherwise the
    card's decision cut on the label-1 logit (0 for weights it was not chosen for) as a probability of
    the finding, so that "flagged" agrees with the label the page shows."""
    try:
        point = analysis.operating_point(spec.dataset)
        if point["model"] == spec.name and spec.weights_file is None:
            return {**point, "source": point["fitted_on"]}
    except (ValueError, KeyError):
        pass
    if not cut:
        return {"temperature": 1.0, "threshold": 0.5, "source": "none fitted for these weights: 0.5"}
    from applications.medical_imaging import metrics as m

    finding_cut = cut if spec.options.get("positive_label", 1) == 1 else -cut
    threshold = float(m.probabilities(np.float64(finding_cut)))
    return {
        "temperature": 1.0,
        "threshold": threshold,
        "source": f"the card's decision threshold ({cut:+.4f})",
    }


def _name_uploads(message: str, paths: list[str], uploads) -> str:
    for path, (filename, _) in zip(paths, uploads, strict=True):
        message = message.replace(path, repr(filename or "the upload")).replace(Path(path).name, filename)
    return message


def _check_image(data: bytes) -> None:
    """A correction's input must be the PNG or JPEG image it is about (it becomes a fine-tuning file)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise ValueError(f"the input is a {image.format} image; feedback keeps PNG or JPEG.")
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValueError("the input is not a PNG or JPEG image.") from None


def png_bytes(image: np.ndarray) -> bytes:
    """An (H, W[, C]) uint8 array as PNG bytes."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype="uint8").squeeze()).save(buffer, format="PNG")
    return buffer.getvalue()


def heatmap_overlay(image: np.ndarray, cam: np.ndarray, size: int = 224) -> np.ndarray:
    """The grayscale image with the Grad-CAM map over it (jet, 40%), as an RGB uint8 array."""
    from matplotlib import colormaps
    from PIL import Image

    gray = np.asarray(image, dtype="float32").reshape(image.shape[:2]) / 255.0
    heat = colormaps["jet"](np.clip(cam, 0, 1))[..., :3]
    blend = (0.6 * np.repeat(gray[..., None], 3, axis=-1) + 0.4 * heat) * 255
    return np.asarray(Image.fromarray(blend.astype("uint8")).resize((size, size), Image.Resampling.NEAREST))
