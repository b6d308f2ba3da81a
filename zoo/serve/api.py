"""The HTTP API of `zoo serve`: versioned JSON endpoints over the Service, with OpenAPI docs at /docs.

Fixed points (clients rely on them): POST /api/v1/models/{name}/predict takes multipart uploads named
`file` and answers {"model", "backend", "predictions": [{"label", "probability", "top": [...]}]};
GET /healthz answers {"status": "ok"}. Every refused request is a 4xx whose JSON body is
{"error": one sentence}; the server keeps serving after it.

Limits: a request body over `max_body` bytes is refused (413), at most `concurrency` requests run
models at once and `queue` more wait (beyond that 503), and one that runs past `timeout_s` answers 504.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Literal

from fastapi import FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException

from zoo.serve.service import MAX_NEW, MAX_PROMPT, Service, UnknownName, png_bytes

LOG = logging.getLogger("zoo.serve")
MAX_BODY = 16 * 2**20


class Busy(Exception):
    """More requests are waiting than the queue holds."""


class TextRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt: str = Field("", max_length=MAX_PROMPT)
    max_new: int = Field(300, ge=1, le=MAX_NEW)
    sampler: Literal["greedy", "top_k", "top_p", "random"] = "top_k"
    temperature: float = Field(1.0, gt=0, le=10)
    k: int = Field(10, ge=1, le=1000)
    p: float = Field(0.9, gt=0, le=1)
    seed: int = Field(0, ge=0, lt=2**31)


class DrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    digit: str = "7"
    n: int = Field(16, ge=1, le=100)
    seed: int = Field(0, ge=0, lt=2**31)
    interpolate: bool = False


class PlayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = Field(0, ge=0, lt=2**31)


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    liked: list[str] = Field(..., min_length=1, max_length=500)
    k: int = Field(10, ge=1, le=100)
    model: str = "two_tower"


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(..., max_length=200)
    kind: Literal["like", "dislike", "label"]
    label: str | None = Field(None, max_length=500)
    user: str | None = Field(None, max_length=200)
    input_sha256: str | None = Field(None, pattern="^[0-9a-f]{64}$")
    input_base64: str | None = Field(None, max_length=14 * 2**20)


class Gate:
    """At most `concurrency` model calls at once (threads of its own), `queue` more waiting, each answered
    within `timeout_s`. A call past its time keeps its slot until its thread ends, so the bound holds."""

    def __init__(self, concurrency: int, queue: int, timeout_s: float):
        self.slots = asyncio.Semaphore(concurrency)
        self.workers = ThreadPoolExecutor(concurrency, thread_name_prefix="zoo-serve")
        self.queue, self.timeout_s, self.waiting = queue, timeout_s, 0

    async def run(self, function, *args, **kwargs):
        if self.waiting >= self.queue:
            raise Busy()
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        loop = asyncio.get_running_loop()
        try:
            work = loop.run_in_executor(self.workers, functools.partial(function, *args, **kwargs))
        except BaseException:
            self.slots.release()
            raise
        work.add_done_callback(lambda _: self.slots.release())
        return await asyncio.wait_for(asyncio.shield(work), self.timeout_s)


def create_api(service: Service, *, max_body: int = MAX_BODY, concurrency: int = 2, queue: int = 32,
               timeout_s: float = 120.0) -> FastAPI:  # fmt: skip
    """The FastAPI app of the JSON endpoints (the web pages are mounted beside it by serve.app)."""
    app = FastAPI(
        title="Kerazoo",
        version="1",
        summary="Keras 3 models on TensorFlow, JAX or PyTorch: predictions, generation, feedback.",
    )
    app.add_middleware(BodyLimit, max_bytes=max_body)
    gate = Gate(concurrency, queue, timeout_s)
    app.state.service, app.state.gate = service, gate

    @app.exception_handler(ValidationError)
    async def invalid_body(request: Request, exc: ValidationError):
        return _first_error(exc.errors())

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError):
        return _error(400, str(exc))

    @app.exception_handler(UnknownName)
    async def unknown(request: Request, exc: UnknownName):
        return _error(404, str(exc))

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        return _error(503, "the server is busy (its queue is full); try again in a moment.")

    @app.exception_handler(TimeoutError)
    async def slow(request: Request, exc: TimeoutError):
        return _error(504, f"the request took longer than {timeout_s:g} s and was abandoned.")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        return _first_error(exc.errors())

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return _error(exc.status_code, str(exc.detail).rstrip(".") + ".")

    @app.exception_handler(Exception)
    async def failure(request: Request, exc: Exception):
        LOG.exception("request %s failed", request.url.path)
        return _error(500, f"the server failed on this request ({type(exc).__name__}); it is logged.")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "backend": service.backend(), "models": len(service.names())}

    @app.get("/api/v1/models")
    def models():
        return {"backend": service.backend(), "models": [service.describe(n) for n in service.names()]}

    @app.get("/api/v1/models/{name}")
    def model(name: str):
        return {**service.describe(name), "card": service.card(name)}

    @app.post("/api/v1/models/{name}/predict")
    async def predict(
        name: str,
        file: Annotated[list[UploadFile], File(description="one or more images (.npy/.csv for regressors)")],
        top: Annotated[int, Query(ge=1, le=10)] = 5,
        heatmap: Annotated[
            bool, Query(description="medical models: the Grad-CAM overlay as PNG base64")
        ] = False,
    ):
        uploads = [(f.filename or "upload", await f.read()) for f in file]
        results = await gate.run(service.predict_files, name, uploads, top)
        for result in results:
            overlay = result.pop("overlay", None)
            if heatmap and overlay is not None:
                result["heatmap_png_base64"] = _b64(png_bytes(overlay))
        return {"model": name, "backend": service.backend(), "predictions": results}

    @app.post("/api/v1/models/{name}/generate")
    async def generate(name: str, request: Request):
        body = await _json_body(request)
        page = service.describe(name)["page"]
        if page == "text":
            options = TextRequest(**body).model_dump()
            text = await gate.run(service.generate_text, name, options)
            return {"model": name, "backend": service.backend(), "text": text}
        if page == "drawings":
            options = DrawRequest(**body)
            png = await gate.run(
                service.draw, name, options.digit, options.n, options.seed, options.interpolate
            )
            return {"model": name, "backend": service.backend(), "image_png_base64": _b64(png)}
        raise ValueError(f"{name} does not generate; its page is {page!r}.")

    @app.post("/api/v1/models/{name}/play")
    async def play(name: str, body: PlayRequest):
        result = await gate.run(service.play, name, body.seed)
        return {"model": name, "backend": service.backend(), "return": result["return"],
                "seed": result["seed"], "gif_base64": _b64(result["gif"])}  # fmt: skip

    @app.post("/api/v1/recommend")
    async def recommend(body: RecommendRequest):
        results = await gate.run(service.recommend, body.liked, body.k, body.model)
        return {"model": body.model, "backend": service.backend(), "recommendations": results}

    @app.post("/api/v1/forecast")
    async def forecast(
        ticker: Annotated[str | None, Form(max_length=20)] = None,
        horizon: Annotated[int, Form()] = 5,
        file: Annotated[UploadFile | None, File(description="an OHLC CSV: Date,Open,High,Low,Close")] = None,
        plot: Annotated[bool, Form()] = False,
    ):
        csv = await file.read() if file is not None else None
        filename = (file.filename if file is not None else None) or "upload.csv"
        result = await gate.run(service.forecast, ticker, csv, horizon, filename)
        png = result.pop("plot")
        if plot:
            result["plot_png_base64"] = _b64(png)
        return {"model": "ts_transformer", "backend": service.backend(), **result}

    @app.post("/api/v1/feedback")
    async def feedback(body: FeedbackRequest):
        data = None
        if body.input_base64 is not None:
            try:
                data = base64.b64decode(body.input_base64, validate=True)
            except ValueError:
                raise ValueError("input_base64 is not valid base64.") from None
        row = await gate.run(service.feedback, model=body.model, kind=body.kind, label=body.label,
                             user=body.user, input=data, input_sha256=body.input_sha256)  # fmt: skip
        return {"id": row}

    @app.get("/api/v1/feedback")
    async def feedback_rows(model: str | None = None, kind: str | None = None):
        rows = await gate.run(service.store.rows, model, kind)
        return {"feedback": [{**r, "created": r["created"].isoformat()} for r in rows]}

    return app


async def _json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise ValueError('the request body is not JSON; send an object, e.g. {"prompt": "ROMEO:"}.') from None
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object.")
    return body


def _first_error(errors: list[dict]) -> JSONResponse:
    """A validation failure as one sentence: the first bad field, what is wrong, and the value sent."""
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return _error(400, "the request body is not valid JSON.")
    if first.get("type") in ("model_attributes_type", "dict_type") and first.get("loc") == ("body",):
        return _error(400, "the request body must be a JSON object, sent as Content-Type: application/json.")
    where = ".".join(
        str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "form")
    )
    message = first.get("msg", "is not valid").rstrip(".")
    value = first.get("input")
    shown = "" if value is None or isinstance(value, dict) else f", got {str(value)[:40]!r}"
    return _error(422, f"{where or 'the request'}: {message}{shown}.")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413), by their Content-Length or as they stream in. The
    body is read whole before the app sees it, so every endpoint answers 413 alike (a multipart parser
    would otherwise turn the overflow into its own 400)."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._refuse(scope, receive, send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self._refuse(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope, receive, send):
        limit = f"{self.max_bytes / 2**20:g} MiB"
        await _error(413, f"the request body is larger than this server accepts ({limit}).")(
            scope, receive, send
        )
