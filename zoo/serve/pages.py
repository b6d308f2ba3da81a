"""The web pages of `zoo serve`: one Gradio tab per page kind, holding every served model of that kind.

A task names its page (`Task.serve()`: "digits", "photos", "medical", "text", ...); the builder of
that page here lays out the inputs and outputs and calls the Service, as the HTTP API does. A new
model of an existing task, or a fine-tuned model directory, appears in its tab with no new code.
"""

# No `from __future__ import annotations`: Gradio finds the gr.Request parameter by its annotation.
import tempfile
from pathlib import Path

import numpy as np

from zoo.serve.service import Service, png_bytes

MEDICAL_NOTE = (
    "**Research demo, not a diagnosis.** A 28x28 MedMNIST model; it has not been validated for "
    "clinical use and must not guide any decision about a patient."
)
FINANCE_NOTE = "Forecasts of volatility from past prices only; not investment advice."
ORDER = (
    "digits",
    "photos",
    "medical",
    "text",
    "drawings",
    "episodes",
    "recommendations",
    "volatility",
    "values",
)
TITLES = {"digits": "Digits", "photos": "Photos", "medical": "Medical", "text": "Shakespeare",
          "drawings": "GAN", "episodes": "CartPole", "recommendations": "Recommendations",
          "volatility": "Volatility", "values": "Regression"}  # fmt: skip


def build(service: Service):
    """The gr.Blocks app: a tab per page kind among the served models."""
    import gradio as gr

    by_page: dict[str, list[str]] = {}
    for name in service.names():
        by_page.setdefault(service.describe(name)["page"], []).append(name)
    # No telemetry, and Gradio's cache of shown files emptied of anything older than an hour.
    with gr.Blocks(title="Kerazoo", analytics_enabled=False, delete_cache=(600, 3600)) as app:
        gr.Markdown(
            f"# Kerazoo\nKeras 3 models on **{service.backend()}**. The JSON API is at "
            "[/api/v1/models](/api/v1/models), its documentation at [/docs](/docs)."
        )
        with gr.Tabs():
            for page in ORDER:
                if page in by_page:
                    with gr.Tab(TITLES[page], id=page, elem_id=f"tab-{page}"):
                        BUILDERS[page](gr, service, by_page[page])
    return app


def _model_choice(gr, names: list[str], page: str):
    return gr.Radio(names, value=names[0], label="model", elem_id=f"{page}-model", visible=len(names) > 1)


def _label_values(predictions: list[dict]) -> dict:
    return {t["label"]: t["probability"] for t in predictions[0]["top"]}


def _correction(gr, service: Service, page: str, model, image_state):
    """ "This prediction was wrong, the right label is ...": stored with the image it is about."""
    with gr.Row():
        right = gr.Textbox(label="the right label, if the prediction was wrong", elem_id=f"{page}-right")
        send = gr.Button("Send correction", elem_id=f"{page}-correct")
    status = gr.Markdown(elem_id=f"{page}-correct-status")

    def correct(name, label, image, request: gr.Request):
        if image is None:
            return "Draw or upload an image first."
        row = service.feedback(model=name, kind="label", label=label.strip(), input=png_bytes(image),
                               user=getattr(request, "session_hash", None))  # fmt: skip
        return f"Thank you: correction #{row} stored."

    send.click(_friendly(correct), [model, right, image_state], status)


def _friendly(function):
    """A page handler whose refusals show as one sentence in the page instead of an error box."""
    import functools

    import gradio as gr

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (ValueError, LookupError) as exc:
            raise gr.Error(str(exc)) from None

    return wrapped


def digits(gr, service: Service, names: list[str]):
    gr.Markdown("Draw a digit with the mouse; the probabilities update as you draw.")
    model = _model_choice(gr, names, "digits")
    with gr.Row():
        brush = gr.Brush(default_size=18, colors=["#000000"])
        pad = gr.Sketchpad(label="draw here", type="numpy", image_mode="RGBA", canvas_size=(280, 280),
                           elem_id="digits-pad", brush=brush)  # fmt: skip
        with gr.Column():
            probabilities = gr.Label(num_top_classes=5, label="probabilities", elem_id="digits-label")
            seen = gr.Image(label="what the model sees (28x28)", height=140, elem_id="digits-seen")
    image = gr.State()

    def classify(name, drawing):
        digit = mnist_digit(drawing)
        if digit is None:
            return {}, None, None
        predictions = service.predict_array(name, digit[None, :, :, None])
        return _label_values(predictions), np.kron(digit, np.ones((5, 5), "uint8")), digit

    pad.change(_friendly(classify), [model, pad], [probabilities, seen, image])
    model.change(_friendly(classify), [model, pad], [probabilities, seen, image])
    _correction(gr, service, "digits", model, image)


def mnist_digit(drawing) -> np.ndarray | None:
    """A sketchpad drawing -> a 28x28 uint8 digit as MNIST writes them: white on black, the strokes
    scaled into a 20x20 box and centred by their centre of mass (LeCun et al.'s preprocessing)."""
    from PIL import Image

    if drawing is None:
        return None
    layers = drawing.get("layers") or []
    composite = drawing.get("composite")
    if layers:
        ink = np.max([np.asarray(layer)[..., 3] for layer in layers], axis=0).astype("float32")
    elif composite is not None:
        rgba = np.asarray(composite, dtype="float32")
        ink = (255 - rgba[..., :3].mean(axis=-1)) * (rgba[..., 3] / 255 if rgba.shape[-1] == 4 else 1)
    else:
        return None
    rows, cols = np.nonzero(ink > 20)
    if len(rows) == 0:
        return None
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = 20 / max(box.shape)
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    small = np.asarray(Image.fromarray(box.astype("uint8")).resize(size, Image.Resampling.LANCZOS), "float32")
    canvas = np.zeros((28, 28), "float32")
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    mass = canvas.sum()
    if mass > 0:  # shift the centre of mass to the centre
        ys, xs = np.indices(canvas.shape)
        dy, dx = round(13.5 - (ys * canvas).sum() / mass), round(13.5 - (xs * canvas).sum() / mass)
        canvas = np.roll(np.roll(canvas, dy, axis=0), dx, axis=1)
    return np.clip(canvas, 0, 255).astype("uint8")


def photos(gr, service: Service, names: list[str]):
    gr.Markdown("Upload a photo; it is resized to the model's 32x32 input.")
    model = _model_choice(gr, names, "photos")
    with gr.Row():
        upload = gr.Image(label="photo", type="numpy", image_mode="RGB", elem_id="photos-image")
        result = gr.Label(num_top_classes=5, label="top 5", elem_id="photos-label")
    image = gr.State()

    def classify(name, picture):
        if picture is None:
            return {}, None
        x = _resized(picture, service.get(name).spec)
        return _label_values(service.predict_array(name, x[None])), x

    upload.change(_friendly(classify), [model, upload], [result, image])
    model.change(_friendly(classify), [model, upload], [result, image])
    _correction(gr, service, "photos", model, image)


def _resized(picture: np.ndarray, spec) -> np.ndarray:
    """An uploaded picture in the model's input shape (as `zoo predict --resize` converts files)."""
    from zoo.core import inputs

    return inputs.convert_images(np.asarray(picture)[None], spec)[0]


def medical(gr, service: Service, names: list[str]):
    gr.Markdown(MEDICAL_NOTE, elem_id="medical-note")
    model = _model_choice(gr, names, "medical")
    with gr.Row():
        upload = gr.Image(label="chest X-ray or breast ultrasound", type="numpy", image_mode="L",
                          elem_id="medical-image")  # fmt: skip
        with gr.Column():
            decision = gr.Markdown(elem_id="medical-decision")
            overlay = gr.Image(label="Grad-CAM: where the score comes from", elem_id="medical-overlay")

    def diagnose(name, picture):
        if picture is None:
            return "", None
        x = _resized(picture, service.get(name).spec)
        result = service.predict_array(name, x[None])[0]
        verdict = "**flagged**" if result["flagged"] else "not flagged"
        text = (f"P({result['finding']}) = **{result['finding_probability']:.3f}**: {verdict} at the "
                f"operating point {result['threshold']:.3f} ({result['operating_point']}).")  # fmt: skip
        return text, result["overlay"]

    upload.change(_friendly(diagnose), [model, upload], [decision, overlay])
    model.change(_friendly(diagnose), [model, upload], [decision, overlay])


def text(gr, service: Service, names: list[str]):
    model = _model_choice(gr, names, "text")
    prompt = gr.Textbox("ROMEO:", label="prompt", lines=2, elem_id="text-prompt")
    with gr.Row():
        sampler = gr.Radio(["greedy", "top_k", "top_p", "random"], value="top_k", label="sampler")
        temperature = gr.Slider(0.1, 2.0, value=0.8, step=0.05, label="temperature")
        length = gr.Slider(20, 1000, value=300, step=10, label="characters")
        seed = gr.Number(0, precision=0, label="seed", minimum=0)
    go = gr.Button("Generate", variant="primary", elem_id="text-go")
    output = gr.Textbox(label="text", lines=14, elem_id="text-output")

    def write(name, prompt_text, sampler_name, temp, max_new, seed_value):
        import queue
        import threading

        chunks: queue.Queue = queue.Queue()
        options = {"prompt": prompt_text, "sampler": sampler_name, "temperature": float(temp),
                   "max_new": int(max_new), "seed": int(seed_value or 0)}  # fmt: skip
        failure = []

        def produce():
            try:
                service.generate_text(name, options, stream=chunks.put)
            except Exception as exc:  # shown in the page, then the stream ends
                failure.append(exc)
            chunks.put(None)

        threading.Thread(target=produce, daemon=True).start()
        shown = ""
        while (chunk := chunks.get()) is not None:
            shown += chunk
            yield shown
        if failure:
            raise failure[0]

    go.click(_friendly_stream(write), [model, prompt, sampler, temperature, length, seed], output)


def _friendly_stream(function):
    import functools

    import gradio as gr

    @functools.wraps(function)
    def wrapped(*args):
        try:
            yield from function(*args)
        except (ValueError, LookupError) as exc:
            raise gr.Error(str(exc)) from None

    return wrapped


def drawings(gr, service: Service, names: list[str]):
    model = _model_choice(gr, names, "drawings")
    with gr.Row():
        digit = gr.Dropdown(
            [str(d) for d in range(10)] + ["all"], value="7", label="digit", elem_id="gan-digit"
        )
        seed = gr.Number(0, precision=0, label="seed", minimum=0)
    go = gr.Button("Draw", variant="primary", elem_id="gan-go")
    grid = gr.Image(label="16 samples", elem_id="gan-grid")
    strip = gr.Image(label="an interpolation between two noise vectors", elem_id="gan-strip")

    def draw(name, wanted, seed_value):
        seed_value = int(seed_value or 0)
        n = 20 if wanted == "all" else 16
        sheet = service.draw(name, wanted, n, seed_value)
        walk = service.draw(name, wanted, 10, seed_value, interpolate=True)
        return _png_file(sheet), _png_file(walk)

    go.click(_friendly(draw), [model, digit, seed], [grid, strip])


def episodes(gr, service: Service, names: list[str]):
    model = _model_choice(gr, names, "episodes")
    seed = gr.Number(0, precision=0, label="episode seed", minimum=0)
    go = gr.Button("Run an episode", variant="primary", elem_id="episodes-go")
    result = gr.Markdown(elem_id="episodes-return")
    gif = gr.Image(label="the episode", elem_id="episodes-gif")

    def run(name, seed_value):
        episode = service.play(name, int(seed_value or 0))
        path = _temp_file(episode["gif"], ".gif")
        return f"Return **{episode['return']:.0f}** (500 is the most CartPole gives).", path

    go.click(_friendly(run), [model, seed], [result, gif])


def recommendations(gr, service: Service, names: list[str]):
    gr.Markdown("Pick titles you liked (type to search); the list updates. Rate what it offers.")
    served = [n for n in names if n in ("two_tower", "mult_vae")]
    if not served:
        gr.Markdown("No served recommender takes liked titles (two_tower or mult_vae).")
        return
    model = _model_choice(gr, served, "recommendations")
    liked = gr.Dropdown(service.titles(), multiselect=True, label="titles you liked", elem_id="rec-liked")
    table = gr.Dataframe(headers=["title", "score", "because you like", "shared genres"],
                         label="recommended", elem_id="rec-table", interactive=False)  # fmt: skip
    with gr.Row():
        rated = gr.Dropdown([], label="a recommended title", elem_id="rec-rated")
        like = gr.Button("Like", elem_id="rec-like")
        dislike = gr.Button("Dislike", elem_id="rec-dislike")
    status = gr.Markdown(elem_id="rec-status")

    def refresh(name, titles):
        if not titles:
            return [], gr.update(choices=[], value=None)
        rows = service.recommend(list(titles), 10, name)
        data = [
            [r["title"], round(r["score"], 3), ", ".join(r["because"]), ", ".join(r["genres"])] for r in rows
        ]
        return data, gr.update(choices=[r["title"] for r in rows], value=rows[0]["title"])

    def rate(kind):
        def store(name, title, titles, request: gr.Request):
            if not title:
                return "Pick liked titles first, then rate a recommendation."
            user = getattr(request, "session_hash", None)
            for known in titles or []:  # what the user said they like is feedback too
                service.feedback(model=name, kind="like", label=known, user=user)
            row = service.feedback(model=name, kind=kind, label=title, user=user)
            return f"Thank you: {kind} of {title!r} stored (#{row})."

        return _friendly(store)

    liked.change(_friendly(refresh), [model, liked], [table, rated])
    model.change(_friendly(refresh), [model, liked], [table, rated])
    like.click(rate("like"), [model, rated, liked], status)
    dislike.click(rate("dislike"), [model, rated, liked], status)


def volatility(gr, service: Service, names: list[str]):
    gr.Markdown(FINANCE_NOTE)
    with gr.Row():
        ticker = gr.Dropdown(
            ["SPY", "IBM"], value="SPY", label="bundled ticker (2013-2017)", elem_id="vol-ticker"
        )
        upload = gr.File(label="or an OHLC CSV (Date,Open,High,Low,Close)", file_types=[".csv"])
        horizon = gr.Radio([1, 5], value=5, label="days ahead")
    go = gr.Button("Forecast", variant="primary", elem_id="vol-go")
    table = gr.Dataframe(headers=["model", "next day: annual vol %", "horizon: annual vol %"],
                         label="forecasts", elem_id="vol-table", interactive=False)  # fmt: skip
    plot = gr.Image(label="the 90% band and recent forecasts", elem_id="vol-plot")

    def run(symbol, csv_file, days):
        csv = Path(csv_file).read_bytes() if csv_file else None
        result = service.forecast(None if csv else symbol, csv, int(days))
        first, last = result["forecasts"][1], result["forecasts"][int(days)]
        rows = [[m, round(first[m]["annual_vol"], 2), round(last[m]["annual_vol"], 2)] for m in last]
        return rows, _png_file(result["plot"])

    go.click(_friendly(run), [ticker, upload, horizon], [table, plot])


def values(gr, service: Service, names: list[str]):
    model = _model_choice(gr, names, "values")
    numbers = gr.Textbox(label="features, comma-separated", elem_id="values-input")
    go = gr.Button("Predict", elem_id="values-go")
    result = gr.Markdown(elem_id="values-output")

    def run(name, row):
        try:
            x = np.array([[float(v) for v in row.split(",")]], dtype="float32")
        except ValueError:
            raise ValueError(f"{row!r} is not a comma-separated list of numbers.") from None
        return f"prediction: **{service.predict_array(name, x)[0]['prediction']:.4g}**"

    go.click(_friendly(run), [model, numbers], result)


def _png_file(data: bytes):
    """PNG bytes as the PIL image gr.Image shows."""
    import io

    from PIL import Image

    return Image.open(io.BytesIO(data))


def _temp_file(data: bytes, suffix: str) -> str:
    """An animated GIF is shown from a file (Gradio copies it into its cache); one folder per server."""
    import time

    global _FILES
    if _FILES is None:
        _FILES = tempfile.mkdtemp(prefix="zoo-serve-")
    for old in Path(_FILES).iterdir():  # Gradio has copied older ones into its cache by now
        if old.stat().st_mtime < time.time() - 600:
            old.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(dir=_FILES, suffix=suffix, delete=False) as f:
        f.write(data)
        return f.name


_FILES = None
BUILDERS = {"digits": digits, "photos": photos, "medical": medical, "text": text, "drawings": drawings,
            "episodes": episodes, "recommendations": recommendations, "volatility": volatility,
            "values": values}  # fmt: skip
