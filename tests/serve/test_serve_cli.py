"""`zoo serve` and `zoo feedback` on the command line: one command starts it; mistakes are one sentence."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.serve.conftest import ONCE
from zoo import cli

pytestmark = ONCE


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["serve", "--models", "nope"], "--models names 'nope', which is not a zoo model"),
        (["serve", "--models", ","], "names no model"),
        (["serve", "--db", "feedback.db"], "is not a database URL"),
        (["serve", "--models-dir", "/no/such/folder"], "is not a folder"),
        (["serve", "--port", "0"], "--port"),
        (["feedback", "export", "--db", "sqlite:///:memory:"], "needs --model"),
    ],
)
def test_mistakes_are_one_sentence(argv, says, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_port_in_use_is_refused(capsys):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert cli.main(["serve", "--models", "mnist_mlp", "--port", str(port), "--api-only"]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_feedback_list_reads_the_database(tmp_path, capsys):
    from zoo.core.feedback import FeedbackStore

    url = f"sqlite:///{tmp_path / 'f.db'}"
    FeedbackStore(url).add(model="two_tower", version="v1", kind="like", label="Monster", user="u")
    assert cli.main(["feedback", "list", "--db", url, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["label"] == "Monster" and row["version"] == "v1"


def test_zoo_serve_starts_in_one_command(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "zoo", "serve", "--models", "mnist_mlp,char_gpt", "--port", str(port),
               "--db", f"sqlite:///{tmp_path / 'feedback.db'}"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    try:
        deadline, health = time.time() + 120, None
        while time.time() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.loads(response.read())
                    break
            except OSError:
                time.sleep(0.5)
        assert health is not None and health["status"] == "ok" and health["models"] == 2
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert b"Kerazoo" in response.read()  # the web pages
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    said = err.decode()
    assert "2 models on" in said and f"http://127.0.0.1:{port}" in said
    assert "Traceback" not in said
