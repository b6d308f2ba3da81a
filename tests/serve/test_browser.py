"""The web pages in a real browser: headless Chromium (Debian's) driven by Playwright against `zoo serve`
on loopback. Draws a digit, uploads an X-ray, generates text, rates a recommendation and finds the row
in the database, on every backend. Screenshots go to $ZOO_SCREENSHOTS (docs/serve/ when refreshed)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.serve.conftest import png

# Not once: the pages run the models, so they are checked on every backend.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip(
    "playwright.sync_api", reason="the browser tests need playwright (dev extra)"
)
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine: install Debian's chromium package", allow_module_level=True)

PAGES = ["mnist_cnn", "mnist_mlp", "cifar_resnet", "pneumonia_resnet", "char_gpt", "dcgan_mnist",
         "dqn_cartpole", "two_tower", "ts_transformer", "linear_regression"]  # fmt: skip
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from zoo.serve.app import create_app
    from zoo.serve.service import Service

    db = tmp_path_factory.mktemp("browser") / "feedback.db"
    service = Service(PAGES, db=f"sqlite:///{db}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(service), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.1)
    assert server.started, "zoo serve did not start within 60 s"
    yield f"http://127.0.0.1:{port}", service
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(server, browser):
    url, _ = server
    page = browser.new_page(viewport={"width": 1200, "height": 950})
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_default_timeout(WAIT_MS)
    page.goto(url, wait_until="load")
    page.wait_for_selector("#digits-pad canvas")
    yield page
    page.close()
    elsewhere = [u for u in requested if not u.startswith((url, "data:", "blob:"))]
    assert not elsewhere, f"the page fetched from outside the server: {elsewhere[:3]}"  # offline: no CDN


def _shot(page, name: str) -> None:
    folder = os.environ.get("ZOO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _stroke(page, points) -> None:
    """Drag the mouse through `points` given as fractions (x, y) of the sketchpad canvas."""
    box = page.locator("#digits-pad canvas").first.bounding_box()
    size = min(box["width"], box["height"]) * 0.8  # the drawing area, centred in the canvas
    left, top = box["x"] + (box["width"] - size) / 2, box["y"] + (box["height"] - size) / 2
    page.mouse.move(left + points[0][0] * size, top + points[0][1] * size)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(left + x * size, top + y * size, steps=4)
    page.mouse.up()


def _wait_for_label(page, selector: str, label: str) -> None:
    """Wait until a gr.Label shows `label` as its top class."""
    page.wait_for_function(
        f"[...document.querySelectorAll('{selector} h2, {selector} .output-class')]"
        f".some(e => e.innerText.trim() === '{label}')"
    )


def test_draw_a_digit_read_the_label_and_correct_it(page, server):
    _, service = server
    page.locator("#digits-pad button[aria-label=Brush]").click()
    _stroke(page, [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a seven: the bar, then the stem
    _wait_for_label(page, "#digits-label", "7")
    _shot(page, "digits")
    page.locator("#digits-right textarea, #digits-right input").first.fill("1")  # say it was a 1
    page.locator("#digits-correct").click()
    page.wait_for_function("document.querySelector('#digits-correct-status').innerText.includes('stored')")
    (row,) = service.store.rows(model="mnist_cnn", kind="label", with_input=True)
    assert row["label"] == "1" and row["input"][:4] == b"\x89PNG"  # the 28x28 drawing the model saw
    page.locator("#digits-pad button[aria-label='Clear canvas']").click()
    page.locator("#digits-pad button[aria-label=Brush]").click()
    _stroke(page, [(0.5, 0.1), (0.5, 0.9)])
    _wait_for_label(page, "#digits-label", "1")


def test_upload_an_xray_and_see_the_overlay(page, server, tmp_path):
    import zoo

    x, _ = zoo.datasets.load_sample("pneumoniamnist")
    xray = tmp_path / "xray.png"
    xray.write_bytes(png(x[0]))
    _tab(page, "Medical")
    assert "not a diagnosis" in page.locator("#medical-note").inner_text()
    page.locator("#medical-image input[type=file]").set_input_files(str(xray))
    page.wait_for_selector("#medical-overlay img")
    decision = page.locator("#medical-decision").inner_text()
    assert "P(pneumonia)" in decision and "operating point" in decision
    _shot(page, "medical")


def test_generate_text(page):
    _tab(page, "Shakespeare")
    page.locator("#text-prompt textarea").fill("ROMEO:")
    page.locator("#text-go").click()
    page.wait_for_function("document.querySelector('#text-output textarea').value.length > 200")
    assert page.locator("#text-output textarea").input_value().startswith("ROMEO:")
    _shot(page, "text")


def test_like_a_recommendation_lands_in_the_database(page, server):
    _, service = server
    _tab(page, "Recommendations")
    liked = page.locator("#rec-liked input")
    liked.click()
    liked.fill("Cowboy Bebop")
    page.get_by_role("option", name="Cowboy Bebop", exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function("document.querySelector('#rec-rated input').value.length > 0")
    first = page.locator("#rec-rated input").input_value()
    assert "Cowboy Bebop" in page.locator("#rec-table").inner_text()  # each row's reason names it
    page.locator("#rec-like").click()
    page.wait_for_function("document.querySelector('#rec-status').innerText.includes('stored')")
    rows = service.store.rows(model="two_tower")
    assert {"Cowboy Bebop", first} <= {r["label"] for r in rows if r["kind"] == "like"}
    _shot(page, "recommendations")


def test_the_other_pages_answer(page, tmp_path):
    import zoo

    x, y = zoo.datasets.load_sample("cifar10")
    photo = tmp_path / "photo.png"
    photo.write_bytes(png(x[0]))
    _tab(page, "Photos")
    page.locator("#photos-image input[type=file]").set_input_files(str(photo))
    _wait_for_label(page, "#photos-label", zoo.card("cifar_resnet")["labels"][int(y[0])])
    _shot(page, "photos")
    _tab(page, "GAN")
    page.locator("#gan-go").click()
    page.wait_for_selector("#gan-strip img")
    _shot(page, "gan")
    _tab(page, "CartPole")
    page.locator("#episodes-go").click()
    page.wait_for_function("document.querySelector('#episodes-return').innerText.includes('Return')")
    page.wait_for_selector("#episodes-gif img")
    _shot(page, "cartpole")
    _tab(page, "Regression")
    page.locator("#values-input textarea, #values-input input").first.fill(",".join(["0.01"] * 10))
    page.locator("#values-go").click()
    page.wait_for_function("document.querySelector('#values-output').innerText.includes('prediction')")
    _tab(page, "Volatility")
    page.locator("#vol-go").click()
    page.wait_for_selector("#vol-plot img")
    assert "garch" in page.locator("#vol-table").inner_text()
    _shot(page, "volatility")
