"""char_gpt decoding speed, cached vs uncached, on each backend: a markdown ratio table.

    python -m benchmarks.generation_speed --out docs/benchmarks --new 200

Each backend runs in its own process (KERAS_BACKEND is fixed per process); each measures greedy
decoding of `--new` characters after a 64-character prompt, after one warm-up run that pays
for compilation. Not a test: speeds depend on the machine; the table records where it ran.
"""

import argparse
import os
import platform
from pathlib import Path

from benchmarks.per_backend import measure

MEASURE = """
import json, sys, time
import zoo
from zoo.core import backend
from zoo.families.char_gpt import generation
model = zoo.load("char_gpt")
prompt = "ROMEO:\\nBut soft, what light through yonder window breaks? It is the east"[:64]
new = int(sys.argv[1])
row = {"backend": backend.current()}
for use_cache in (True, False):
    "".join(generation.generate(model, prompt, 8, use_cache=use_cache))  # warm-up: compile
    started = time.perf_counter()
    text = "".join(generation.generate(model, prompt, new, use_cache=use_cache))
    row["cached" if use_cache else "uncached"] = new / (time.perf_counter() - started)
    row["text_" + ("cached" if use_cache else "uncached")] = text
print(json.dumps(row))
"""

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/benchmarks")
parser.add_argument("--new", type=int, default=200, help="characters generated per measurement")
args = parser.parse_args()

rows = [measure(name, ["-c", MEASURE, str(args.new)]) for name in ("tensorflow", "jax", "torch")]

lines = [
    f"char_gpt greedy decoding, {args.new} new characters after a 64-character prompt, batch 1.",
    f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}.",
    "",
    "| backend | cached (chars/s) | uncached (chars/s) | cached / uncached | same text |",
    "| --- | ---: | ---: | ---: | --- |",
]
for row in rows:
    same = "yes" if row["text_cached"] == row["text_uncached"] else "NO"
    lines.append(
        f"| {row['backend']} | {row['cached']:.1f} | {row['uncached']:.1f} | "
        f"{row['cached'] / row['uncached']:.1f}x | {same} |"
    )
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
lines += [
    "",
    "Uncached decoding on JAX runs eagerly (the window grows by one each step, so every step would",
    "be a new jit shape); the cached step is one jitted function of fixed shapes.",
]
(out / "generation_speed.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
