"""Several training processes, one run: where a process stands in its group, and the launcher.

A process learns its place from the environment `zoo launch` sets (ZOO_RANK, ZOO_WORLD_SIZE,
ZOO_LOCAL_RANK, ZOO_MASTER), from torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
MASTER_PORT), so `torchrun ... -m zoo train ...` works too, or from TensorFlow's TF_CONFIG (a cluster
of workers, as SLURM and Kubernetes set it for TensorFlow). The frameworks do the distributed work
(zoo.core.backend.join_group / data_parallel); this module only starts and watches processes, and
imports no framework.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time

from zoo.core import flags

# How long the launcher waits for the other processes to stop once one has failed.
STOP_GRACE_S = 10.0


@dataclasses.dataclass(frozen=True)
class World:
    """This process's rank among `size` processes; `master` is host:port of rank 0's rendezvous."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    master: str | None = None

    @property
    def leader(self) -> bool:
        """Rank 0: the one process that writes checkpoints, metrics and weights."""
        return self.rank == 0


def launched(environ=os.environ) -> bool:
    """True in one of several processes started by `zoo launch` (not torchrun)."""
    return int(environ.get("ZOO_WORLD_SIZE", "1")) > 1


def world(environ=os.environ) -> World:
    """The group this process belongs to ({rank 0 of 1} when it was started alone)."""
    started_by_tf_config = "ZOO_WORLD_SIZE" not in environ and "WORLD_SIZE" not in environ
    if started_by_tf_config and "TF_CONFIG" in environ and environ.get("KERAS_BACKEND") == "tensorflow":
        return _tf_world(environ["TF_CONFIG"])
    names = ("ZOO_RANK", "ZOO_WORLD_SIZE", "ZOO_LOCAL_RANK")
    if "ZOO_WORLD_SIZE" not in environ and "WORLD_SIZE" in environ:  # started by torchrun
        names = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
    try:
        rank, size, local = (
            int(environ.get(name, default)) for name, default in zip(names, "010", strict=True)
        )
    except ValueError:
        raise ValueError(f"{', '.join(names)} must be whole numbers; the launcher sets them.") from None
    if size <= 1:
        return World()
    if not 0 <= rank < size:
        raise ValueError(f"{names[0]}={rank} is outside 0..{size - 1} ({names[1]}={size}).")
    master = environ.get("ZOO_MASTER")
    if master is None and "MASTER_ADDR" in environ:
        master = f"{environ['MASTER_ADDR']}:{environ.get('MASTER_PORT', '29500')}"
    if master is None:
        raise ValueError(f"{names[1]}={size} needs the rendezvous address: set ZOO_MASTER=HOST:PORT.")
    return World(
        rank,
        size,
        local,
        parse_address(master, "the rendezvous address (ZOO_MASTER or MASTER_ADDR:MASTER_PORT)"),
    )


def _tf_world(tf_config: str) -> World:
    """TF_CONFIG's cluster as a World: ranks in TensorFlow's order (the chief, then the workers),
    rank 0's address as the master."""
    try:
        config = json.loads(tf_config)
        cluster, task = config["cluster"], config["task"]
        tasks = [("chief", i) for i in range(len(cluster.get("chief", [])))]
        tasks += [("worker", i) for i in range(len(cluster.get("worker", [])))]
        rank = tasks.index((task["type"], int(task["index"])))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValueError(
            f"TF_CONFIG {tf_config!r} does not place this process among its cluster's chief and "
            'worker tasks; expected e.g. {"cluster": {"worker": ["h1:2222", "h2:2222"]}, '
            '"task": {"type": "worker", "index": 0}}.'
        ) from None
    if len(tasks) == 1:
        return World()
    return World(rank, len(tasks), 0, parse_address(cluster[tasks[0][0]][0], "TF_CONFIG's first task"))


def tf_config(world: World) -> str:
    """The TF_CONFIG of a zoo launch process on TensorFlow: the group on one host, worker r listening
    on the rendezvous port + r (so `ports=nproc` in launch())."""
    host, _, port = world.master.rpartition(":")
    workers = [f"{host}:{int(port) + r}" for r in range(world.size)]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": world.rank}})


def parse_address(text: str, name: str = "--master") -> str:
    """'HOST:PORT' checked (port 1-65535); `name` is where the value came from, for the error."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{name} {text!r} is not HOST:PORT with a port from 1 to 65535.")
    return f"{host}:{int(port)}"


def free_port(host: str = "127.0.0.1", ports: int = 1) -> int:
    """A port that is free on `host`, with the `ports - 1` after it free as well."""
    while True:
        with socket.socket() as probe:
            probe.bind((host, 0))
            first = probe.getsockname()[1]
        if first + ports <= 65536 and all(_is_free(host, p) for p in range(first + 1, first + ports)):
            return first


def _is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def environments(nproc: int, nnodes: int, node_rank: int, master: str, base=os.environ) -> list[dict]:
    """The environment of each process this node starts: ranks node_rank*nproc .. +nproc-1."""
    size = nproc * nnodes
    host, _, port = master.rpartition(":")
    threads = str(max(1, (os.cpu_count() or 1) // nproc))
    out = []
    for local in range(nproc):
        rank = node_rank * nproc + local
        env = dict(base)
        env.update(
            ZOO_RANK=str(rank), ZOO_WORLD_SIZE=str(size), ZOO_LOCAL_RANK=str(local), ZOO_MASTER=master,
            # torch.distributed's names as well, so code written for torchrun finds its place
            RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local), MASTER_ADDR=host, MASTER_PORT=port,
        )  # fmt: skip
        env.setdefault("OMP_NUM_THREADS", threads)  # the node's cores shared out, as torchrun does
        out.append(env)
    return out


def launch(
    argv: list[str],
    nproc: int,
    nnodes: int = 1,
    node_rank: int = 0,
    master: str | None = None,
    program: list[str] | None = None,
    ports: int = 1,
    log=print,
) -> int:
    """Start `nproc` processes of `program + argv` on this node (default: `python -m zoo`) and wait.
    `ports`: how many ports from the rendezvous port on must be free (TensorFlow: one per worker).

    One that fails stops the others (SIGTERM, then SIGKILL after STOP_GRACE_S) instead of leaving
    them blocked in a collective; the exit code is then 1. Followers' stdout is dropped (rank 0
    prints the result); everyone's stderr is kept.
    """
    if nproc < 1 or nnodes < 1:
        raise ValueError(f"--nproc and --nnodes must be at least 1, got {nproc} and {nnodes}.")
    if nproc * nnodes == 1:
        raise ValueError("one process in all is a plain `zoo train`; give --nproc 2 or more.")
    if not 0 <= node_rank < nnodes:
        raise ValueError(f"--node-rank {node_rank} is outside 0..{nnodes - 1} (--nnodes {nnodes}).")
    if master is None:
        if nnodes > 1:
            raise ValueError("--nnodes > 1 needs --master HOST:PORT, rank 0's address every node can reach.")
        master = f"127.0.0.1:{free_port(ports=ports)}"
    master = parse_address(master)
    host, _, port = master.rpartition(":")
    if int(port) + ports > 65536:
        last = int(port) + ports - 1
        raise ValueError(
            f"--master {master}: its {ports} workers would listen on ports {port}-{last}, past 65535."
        )
    if node_rank == 0:
        # rank 0's rendezvous port must be free on this machine before the processes start
        for number in range(int(port), int(port) + ports):
            flags.check_port_free(
                host if nnodes == 1 else "0.0.0.0", number, "choose another --master HOST:PORT"
            )
    command = [*(program or [sys.executable, "-m", "zoo"]), *argv]
    envs = environments(nproc, nnodes, node_rank, master)
    processes: list = []
    previous = {s: signal.signal(s, _stopped) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        for env in envs:
            follower = env["ZOO_RANK"] != "0"
            processes.append(
                subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL if follower else None)
            )
        first = int(envs[0]["ZOO_RANK"])
        ranks = f"ranks {first}-{first + nproc - 1} of {nproc * nnodes}"
        log(f"zoo launch: {ranks} started, rendezvous at {master}")
        return _supervise(processes, first, log)
    except BaseException:  # Ctrl-C, SIGTERM/SIGHUP (a scheduler's cancel), a failed start: none left behind
        _stop([p for p in processes if p.poll() is None])
        raise
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class Stopped(KeyboardInterrupt):
    """The launcher itself was told to stop (SIGTERM, SIGHUP)."""


def _stopped(signum, frame):
    raise Stopped(signum)


def _supervise(processes: list, first_rank: int, log) -> int:
    """Wait for every process; the exit code: 0 all done, 2 when the first to fail refused the
    command (exit 2: its one sentence is printed above), else 1."""
    while True:
        codes = [p.poll() for p in processes]
        failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
        if failed:
            # the cause before its echoes: a process killed by a signal, then a refusal, then the rest
            index, code = min(failed, key=lambda f: (f[1] >= 0, f[1] != 2))
            running = _stop([p for p in processes if p.poll() is None])
            if code == 2:  # a refusal: that process printed its one sentence
                return 2
            how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
            log(
                f"zoo launch: rank {first_rank + index} {how}, so the other {running} running process(es) "
                "were stopped; the same command with --resume continues from rank 0's last checkpoint, "
                "if it wrote one."
            )
            return 1
        if all(c == 0 for c in codes):
            return 0
        time.sleep(0.2)


def _stop(running: list) -> int:
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.time() + STOP_GRACE_S
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return len(running)
