"""Bad requests: each is a 4xx whose JSON body is one sentence, never a 500, and the server keeps serving."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import png_header
from tests.serve.conftest import ONCE, png

pytestmark = ONCE
M = "/api/v1/models"
BLANK = png(np.zeros((28, 28)))


def up(name: str, data: bytes) -> dict:
    return {"files": {"file": (name, data)}}


BAD = [
    ("unknown model", "post", f"{M}/nope/predict", up("a.png", b"x"), 404, "unknown model"),
    ("corrupt image", "post", f"{M}/mnist_mlp/predict", up("a.png", b"\x89PNG..."), 400, "not an image"),
    ("wrong type", "post", f"{M}/mnist_mlp/predict", up("a.txt", b"hello"), 400, "a.txt"),
    ("a decompression bomb", "post", f"{M}/mnist_mlp/predict",
     up("bomb.png", png_header(60000, 60000)), 400, "bomb.png"),
    ("no file", "post", f"{M}/mnist_mlp/predict", {}, 422, "file"),
    ("too many files", "post", f"{M}/mnist_mlp/predict",
     {"files": [("file", (f"{i}.png", BLANK)) for i in range(33)]}, 400, "at most 32"),
    ("top out of range", "post", f"{M}/mnist_mlp/predict?top=99",
     up("a.png", BLANK), 422, "top"),
    ("predict on a generator", "post", f"{M}/char_gpt/predict",
     up("a.png", BLANK), 400, "char_gpt"),
    ("an over-long prompt", "post", f"{M}/char_gpt/generate", {"json": {"prompt": "a" * 2001}}, 422,
     "prompt"),
    ("a character the model lacks", "post", f"{M}/char_gpt/generate", {"json": {"prompt": "日本"}}, 400,
     "日"),
    ("an unknown option", "post", f"{M}/char_gpt/generate", {"json": {"promt": "x"}}, 422, "promt"),
    ("a body that is not JSON", "post", f"{M}/char_gpt/generate", {"content": b"{not json"}, 400, "JSON"),
    ("generate on a classifier", "post", f"{M}/mnist_mlp/generate", {"json": {}}, 400, "does not generate"),
    ("a digit that is not one", "post", f"{M}/dcgan_mnist/generate", {"json": {"digit": "12"}}, 400, "12"),
    ("an unknown title", "post", "/api/v1/recommend", {"json": {"liked": ["Qqqzzz Xxyy"]}}, 404, "Qqqzzz"),
    ("no liked titles", "post", "/api/v1/recommend", {"json": {"liked": []}}, 422, "liked"),
    ("a recommender that needs ids", "post", "/api/v1/recommend",
     {"json": {"liked": ["Monster"], "model": "neumf"}}, 400, "neumf"),
    ("an unknown ticker", "post", "/api/v1/forecast", {"data": {"ticker": "ZZZZ"}}, 404, "ZZZZ"),
    ("a bad horizon", "post", "/api/v1/forecast", {"data": {"ticker": "SPY", "horizon": 3}}, 400, "horizon"),
    ("a CSV that is not OHLC", "post", "/api/v1/forecast", up("x.csv", b"a,b\n1,2\n"), 400,
     "'x.csv' has no column Date"),
    ("feedback of an unknown kind", "post", "/api/v1/feedback",
     {"json": {"model": "mnist_mlp", "kind": "meh"}}, 422, "kind"),
    ("a label the model lacks", "post", "/api/v1/feedback",
     {"json": {"model": "mnist_mlp", "kind": "label", "label": "cat"}}, 400, "cat"),
    ("feedback about an unknown model", "post", "/api/v1/feedback",
     {"json": {"model": "x", "kind": "like"}}, 404, "unknown model 'x'"),
    ("an unknown path", "get", "/api/v1/nothing", {}, 404, "Not Found"),
    ("bad JSON for a typed body", "post", "/api/v1/recommend",
     {"content": b"{nope", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
    ("a body that is not JSON at all", "post", "/api/v1/recommend", {"content": b"liked=Monster"}, 400,
     "must be a JSON object"),
    ("a seed out of range", "post", f"{M}/char_gpt/generate", {"json": {"seed": 2**63}}, 422, "seed"),
    ("too few digits for all", "post", f"{M}/dcgan_mnist/generate", {"json": {"digit": "all", "n": 5}}, 400,
     "at least 10"),
    ("a correction that is not an image", "post", "/api/v1/feedback",
     {"json": {"model": "mnist_mlp", "kind": "label", "label": "3", "input_base64": "aGVsbG8="}}, 400,
     "not a PNG or JPEG"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "method", "path", "send", "status", "says"), BAD, ids=[b[0] for b in BAD])
def test_refused_in_one_sentence(client, what, method, path, send, status, says):
    response = getattr(client, method)(path, **send)
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert says in message and "\n" not in message and "Traceback" not in message
    assert message.endswith((".", ")")), message
    assert client.get("/healthz").status_code == 200  # still serving


def test_a_body_over_the_limit_is_refused(service):
    from fastapi.testclient import TestClient

    from zoo.serve.app import create_app

    with TestClient(create_app(service, pages=False, max_body=1000)) as small:
        response = small.post(f"{M}/mnist_mlp/predict", files={"file": ("a.png", b"x" * 5000)})
        assert response.status_code == 413 and "larger than" in response.json()["error"]
        streamed = small.post(f"{M}/char_gpt/generate", content=iter([b"{" + b" " * 3000 + b"}"]))
        assert streamed.status_code == 413
        boundary = b"--x\r\nContent-Disposition: form-data; name=file; filename=a.png\r\n\r\n"
        upload = small.post(  # multipart, streamed without a Content-Length
            f"{M}/mnist_mlp/predict",
            content=iter([boundary, b"\0" * 3000, b"\r\n--x--\r\n"]),
            headers={"content-type": "multipart/form-data; boundary=x"},
        )
        assert upload.status_code == 413, upload.text
        assert small.get("/healthz").status_code == 200


def test_the_gate_bounds_the_queue_and_the_time():
    from zoo.serve.api import Busy, Gate

    async def scenario():
        gate = Gate(concurrency=1, queue=1, timeout_s=0.5)
        slow = asyncio.ensure_future(gate.run(time.sleep, 0.3))
        await asyncio.sleep(0.05)  # the first call holds the only slot
        waiting = asyncio.ensure_future(gate.run(time.sleep, 0.01))
        await asyncio.sleep(0.05)
        with pytest.raises(Busy):  # one waits already: the queue is full
            await gate.run(time.sleep, 0.01)
        await slow, await waiting
        with pytest.raises(TimeoutError):
            await gate.run(time.sleep, 1.0)
        timed_out = time.monotonic()
        answer = await gate.run(lambda: "served")  # the slot frees when the timed-out thread ends
        return answer, time.monotonic() - timed_out

    answer, waited = asyncio.run(scenario())
    assert answer == "served" and waited > 0.3  # it waited for the 1 s call's thread, not just the 0.5 s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000), name=st.sampled_from(["a.png", "b.jpg", "c.npy", "d", "e.gif"]))
def test_random_uploads_are_never_a_server_error(client, data, name):
    response = client.post(f"{M}/mnist_mlp/predict", files={"file": (name, data)})
    assert response.status_code in (200, 400), response.text
