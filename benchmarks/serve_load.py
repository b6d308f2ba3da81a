"""A bounded load on `zoo serve` over loopback, per backend: requests/s, p50/p99 latency, errors, memory.

    python -m benchmarks.serve_load                       # 8 clients x 200 requests per endpoint, 3 backends
    python -m benchmarks.serve_load --backends jax --requests 50

One server process per backend (`zoo serve --api-only`, its default limits: 2 model calls at once).
Each endpoint gets `clients` threads sending `requests` each (generate: a tenth, it writes 20
characters a call); an error is any answer but the expected status, or no answer. Then a burst of
malformed requests (corrupt images, unknown models, bad JSON) mixed one-to-one with good ones: the
good ones must all succeed. The server's resident memory is read before and after. Writes
docs/serve/load.json and docs/serve/load.md. Not a test: speeds depend on the machine.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")
OUT = Path("docs/serve")


def _png(array) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(array, "uint8")).save(buffer, format="PNG")
    return buffer.getvalue()


def endpoints(digit: bytes) -> dict:
    """name -> (method, path, request keyword arguments, expected status, share of the requests)."""
    m = "/api/v1/models"
    prompt = {"prompt": "ROMEO:", "max_new": 20, "sampler": "greedy"}
    return {
        "healthz": ("GET", "/healthz", {}, 200, 1.0),
        "predict mnist_mlp": ("POST", f"{m}/mnist_mlp/predict", {"files": {"file": ("d.png", digit)}},
                              200, 1.0),
        "recommend two_tower": ("POST", "/api/v1/recommend", {"json": {"liked": ["Cowboy Bebop", "Monster"]}},
                                200, 1.0),
        "feedback": ("POST", "/api/v1/feedback", {"json": {"model": "two_tower", "kind": "like",
                                                             "label": "Monster"}}, 200, 1.0),
        "generate char_gpt (20 chars)": ("POST", f"{m}/char_gpt/generate", {"json": prompt}, 200, 0.1),
    }  # fmt: skip


MALFORMED = [
    ("POST", "/api/v1/models/mnist_mlp/predict", {"files": {"file": ("d.png", b"\x89PNG broken")}}),
    ("POST", "/api/v1/models/nope/predict", {"files": {"file": ("d.png", b"x")}}),
    ("POST", "/api/v1/models/char_gpt/generate", {"content": b"{not json"}),
    ("POST", "/api/v1/recommend", {"json": {"liked": ["Qqqq Zzzz"]}}),
]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start(backend_name: str, db: str):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "zoo", "--backend", backend_name, "serve", "--api-only",
               "--port", str(port), "--models", "mnist_mlp,two_tower,char_gpt", "--db", db]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"zoo serve on {backend_name} did not answer /healthz within 180 s")


def _hammer(url: str, calls: list, clients: int) -> dict:
    """Send `calls` (method, path, kwargs, expected) from `clients` threads; latency and error counts."""
    import httpx

    def worker(share):
        out = []
        with httpx.Client(base_url=url, timeout=120) as client:
            for method, path, kwargs, expected in share:
                started = time.perf_counter()
                try:
                    status = client.request(method, path, **kwargs).status_code
                except httpx.HTTPError:
                    status = None
                out.append((time.perf_counter() - started, status, expected))
        return out

    shares = [calls[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for share in pool.map(worker, shares) for r in share]
    wall = time.perf_counter() - started
    latency = np.array([r[0] for r in results]) * 1000
    good = [r for r in results if r[2] == 200]
    return {
        "requests": len(results),
        "requests_per_s": len(results) / wall,
        "p50_ms": float(np.percentile(latency, 50)),
        "p99_ms": float(np.percentile(latency, 99)),
        "errors": sum(1 for _, status, expected in results if _is_error(status, expected)),
        "good_ok": sum(1 for r in good if r[1] == 200),
        "good": len(good),
    }


def _is_error(status: int | None, expected: int) -> bool:
    """No answer, a server error, a good request not served, or a bad one not refused as a 4xx."""
    if status is None or status >= 500:
        return True
    return status != 200 if expected == 200 else not 400 <= status < 500


def measure(backend_name: str, clients: int, requests: int) -> dict:
    import zoo

    x, _ = zoo.datasets.load_sample("mnist")
    with tempfile.TemporaryDirectory() as folder:
        server, url = _start(backend_name, f"sqlite:///{folder}/feedback.db")
        try:
            table, calls = {}, {}
            for name, (method, path, kwargs, expected, share) in endpoints(_png(x[0])).items():
                calls[name] = (
                    [(method, path, kwargs, expected)],
                    max(clients, int(clients * requests * share)),
                )
                _hammer(url, calls[name][0] * clients, clients)  # warm-up: load the model, compile
            rss = {"warm": _rss_mib(server.pid)}
            for name, (call, n) in calls.items():
                table[name] = _hammer(url, call * n, clients)
            rss["after_first_round"] = _rss_mib(server.pid)
            good = (
                "POST",
                "/api/v1/models/mnist_mlp/predict",
                {"files": {"file": ("d.png", _png(x[1]))}},
                200,
            )
            mixed = [c for i in range(clients * requests // 2)
                     for c in (good, (*MALFORMED[i % len(MALFORMED)], 400))]  # fmt: skip
            burst = _hammer(url, mixed, clients)
            for call, n in calls.values():  # as many requests again: does memory keep growing?
                _hammer(url, call * n, clients)
            rss["after_second_round"] = _rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {"endpoints": table, "malformed_burst": burst, "rss_mib": rss}


def markdown(results: dict, clients: int, requests: int) -> str:
    lines = [
        f"Load on loopback: {clients} concurrent clients x {requests} requests per endpoint (generate: a "
        f"tenth), `zoo serve --api-only` with its default limits; {platform.machine()}, {os.cpu_count()} "
        "cores; `python -m benchmarks.serve_load`.",
        "",
        "| backend | endpoint | requests | req/s | p50 ms | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for backend_name, result in results.items():
        for name, row in result["endpoints"].items():
            lines.append(f"| {backend_name} | {name} | {row['requests']} | {row['requests_per_s']:.0f} | "
                         f"{row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['errors']} |")  # fmt: skip
    lines += ["", "| backend | malformed burst: good ok / good | errors | server RSS MiB: warm, round 1, 2 |",
              "| --- | ---: | ---: | --- |"]  # fmt: skip
    for backend_name, result in results.items():
        burst, rss = result["malformed_burst"], result["rss_mib"]
        memory = f"{rss['warm']:.0f}, {rss['after_first_round']:.0f}, {rss['after_second_round']:.0f}"
        lines.append(
            f"| {backend_name} | {burst['good_ok']} / {burst['good']} | {burst['errors']} | {memory} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--json", action="store_true", help="print the results instead of writing docs/serve/"
    )
    args = parser.parse_args(argv)
    results = {}
    for backend_name in args.backends.split(","):
        print(f"{backend_name}: loading the server ...", file=sys.stderr, flush=True)
        results[backend_name] = measure(backend_name, args.clients, args.requests)
        print(markdown({backend_name: results[backend_name]}, args.clients, args.requests), file=sys.stderr)
    if args.json:
        print(json.dumps(results))
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "load.md").write_text(markdown(results, args.clients, args.requests))
    print(f"wrote {OUT / 'load.md'} and {OUT / 'load.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
