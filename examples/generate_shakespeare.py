"""Shakespeare from the pretrained char_gpt: greedy vs sampled continuations, cached decoding.

    python examples/generate_shakespeare.py --out runs/shakespeare

Writes samples.txt with a continuation per sampler and prints each with its speed. Offline.
"""

import argparse
import time
from pathlib import Path

import zoo
from zoo.families.char_gpt import generation

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--out", default="runs/shakespeare")
parser.add_argument("--prompt", default="ROMEO:\n")
parser.add_argument("--max-new", type=int, default=300)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

model = zoo.load("char_gpt")
settings = {
    "greedy": {},
    "top_k": {"k": 10, "temperature": 0.8},
    "top_p": {"p": 0.9, "temperature": 0.8},
}
report = []
for name, options in settings.items():
    sampler = generation.make_sampler(name, seed=args.seed, **options)
    started = time.perf_counter()
    continuation = "".join(generation.generate(model, args.prompt, args.max_new, sampler))
    speed = args.max_new / (time.perf_counter() - started)
    shown = ", ".join(f"{k}={v}" for k, v in options.items())
    block = f"--- {name} {shown} ({speed:.0f} characters/s)\n{args.prompt}{continuation}\n"
    print(block)
    report.append(block)

out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
(out / "samples.txt").write_text("\n".join(report))
print(f"Wrote {(out / 'samples.txt').resolve()}")
