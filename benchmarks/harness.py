"""Measure one backend in this process: the zoo model (Keras on KERAS_BACKEND) and the
hand-written loop(s) of the same family, on the same batches, one after the other.

    KERAS_BACKEND=torch python -m benchmarks.harness --models mnist_mlp [--quick]

Prints one JSON object: {"backend", "repeats", "results": {model: {"zoo": {...}, "raw_torch": {...},
...}}}, each figure the median over `repeats` rounds alternating the zoo and the raw loops, except
training's. Training: steady-state samples/s over the second pass of `steps` batches (the first pays
for compilation and warm-up), the fastest of the rounds (each round's in `train_sps_rounds`: a pass
takes seconds, and a round that another process or a cold start slowed says nothing about either
side; cifar_resnet's zoo side on TensorFlow ran 207-275 samples/s in six rounds, the raw side
254-270); the zoo trains with `fit` on numpy arrays, as a user does; the raw loops
iterate over tensors prepared in advance. Inference, numpy in and numpy out on both sides, the
sides taking turns call by call: batch-1 latency (p50, p95 of 200 calls after 5 warm-up calls; the
zoo through `zoo.predictor`, with `predict_on_batch` recorded beside it) and batch-256 samples/s.
two_tower is measured for scoring only (its goal): the pretrained model's `score` on sparse
histories of the sample's users against the hand-written scorers (raw_*.TwoTowerScorer) with the
same weights, densified inside the timed call on both sides.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time

import numpy as np

# (batch size, training steps per timed pass: quick, full) per model; batches are the recipes'.
SETTINGS = {"mnist_mlp": (128, 60, 300), "cifar_resnet": (512, 2, 4)}
SCORERS = ("two_tower",)  # measured for inference only: `score`, every item for each user
RAW_FAMILIES = {"torch": ("torch",), "jax": ("jax",), "tensorflow": ("torch", "jax", "tensorflow")}


def raw_module(family: str):
    """A family's hand-written module: benchmarks.raw_torch, raw_jax or raw_tf."""
    module = {"torch": "raw_torch", "jax": "raw_jax", "tensorflow": "raw_tf"}[family]
    return importlib.import_module(f"benchmarks.{module}")


def raw_runner(family: str):
    """The hand-written Runner class of a family."""
    return raw_module(family).Runner


def raw_families(backend_name: str, model_name: str) -> list[str]:
    """The hand-written loops measured beside the zoo on this backend."""
    families = RAW_FAMILIES[backend_name]
    if "tensorflow" not in families:
        return list(families)  # not importing raw_tf: TensorFlow stays out of the torch and jax processes
    from benchmarks import raw_tf

    return [f for f in families if f != "tensorflow" or model_name in raw_tf.MODELS]


def batches(model_name: str, steps: int, batch: int):
    """Real sample images repeated to `steps` batches, with their labels."""
    from zoo import datasets
    from zoo.core import registry

    x, y = datasets.load_sample(registry.get(model_name).dataset)
    reps = -(-steps * batch // len(x))
    x = np.concatenate([x] * reps)[: steps * batch].astype("float32")
    y = np.concatenate([y] * reps)[: steps * batch]
    if x.ndim == 3:
        x = x[..., None]
    return x, y


def latencies(calls: dict, x, n: int = 200) -> dict:
    """{side: {"infer_ms_b1_p50", "infer_ms_b1_p95"}} of `n` calls per side on x, the sides taking
    turns call by call: every side sees the same moments of a machine whose speed drifts."""
    for call in calls.values():
        for _ in range(5):
            call(x)
    times: dict = {side: [] for side in calls}
    for _ in range(n):
        for side, call in calls.items():
            started = time.perf_counter()
            call(x)
            times[side].append((time.perf_counter() - started) * 1000)
    percentiles = {side: np.percentile(t, [50, 95]) for side, t in times.items()}
    return {
        side: {"infer_ms_b1_p50": float(p50), "infer_ms_b1_p95": float(p95)}
        for side, (p50, p95) in percentiles.items()
    }


def throughputs(calls: dict, x, seconds: float = 0.5) -> dict:
    """{side: samples/s} over at least 5 calls and `seconds` of calls per side (five calls of a
    sub-millisecond batch are noise), the sides taking turns call by call."""
    busy = {side: 0.0 for side in calls}
    count = dict.fromkeys(calls, 0)
    for call in calls.values():
        call(x)
    while min(count.values()) < 5 or min(busy.values()) < seconds:
        for side, call in calls.items():
            started = time.perf_counter()
            call(x)
            busy[side] += time.perf_counter() - started
            count[side] += 1
    return {side: count[side] * x.shape[0] / busy[side] for side in calls}  # shape: also a sparse matrix's


def train_zoo(model_name: str, x, y, batch: int):
    """(steady-state training samples/s of Keras `fit`, as `zoo train` compiles it; the model)."""
    import keras

    from zoo.core import backend, registry

    spec = registry.get(model_name)
    model = spec.build()
    options = spec.compile_options.get(keras.backend.backend(), {})  # what `zoo train` uses
    model.compile(optimizer=spec.recipe.optimizer(10_000), loss=spec.recipe.loss(), **options)
    backend.compile_training(model)
    passes = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            passes.append(time.perf_counter() - self.started)

    model.fit(x, y, batch_size=batch, epochs=2, shuffle=False, verbose=0, callbacks=[Timer()])
    return len(x) / passes[1], model


def train_raw(family: str, model_name: str, x, y, batch: int):
    """(steady-state training samples/s of the hand-written loop; its runner)."""
    runner = raw_runner(family)(model_name)
    prepared = [runner.tensors(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x), batch)]
    for _ in range(2):  # the first pass compiles and warms up
        started = time.perf_counter()
        for xb, yb in prepared:
            loss = runner.train_step(xb, yb)
        float(loss)  # wait for the last step (JAX dispatches asynchronously)
        elapsed = time.perf_counter() - started
    return len(x) / elapsed, runner


def two_tower_weights(model) -> dict:
    """The numpy arrays a hand-written two_tower scorer needs, from the zoo model."""
    from keras.ops import convert_to_numpy as value

    return {
        "w1": value(model.user_hidden.kernel),
        "b1": value(model.user_hidden.bias),
        "w2": value(model.user_out.kernel),
        "b2": value(model.user_out.bias),
        "embedding": value(model.item_embedding.embeddings),
        "features": value(model.item_features),
        "projection": value(model.item_projection.kernel),
        "projection_bias": value(model.item_projection.bias),
        "bias": value(model.item_bias.embeddings)[:, 0],
        "temperature": np.float32(model.temperature),
    }


def raw_scorer(family: str, model):
    """The hand-written scorer of a family holding `model`'s weights."""
    return raw_module(family).TwoTowerScorer(two_tower_weights(model))


def measure_round(model_name: str, sides: list[str], data, turn: int = 0) -> dict:
    """One round: each side trains in turn (not two_tower), side number `turn` first (so a machine that
    slows down during a round does not always slow the same side), then all infer, interleaved."""
    import zoo

    figures: dict = {side: {} for side in sides}
    calls = {}
    if model_name in SCORERS:
        model, x = data
        calls["zoo"] = model.score
        for side in sides[1:]:
            scorer = raw_scorer(side.removeprefix("raw_"), model)
            calls[side] = lambda h, s=scorer: s.infer(s.tensors(h))
    else:
        x, y, batch = data
        first = turn % len(sides)
        for side in sides[first:] + sides[:first]:
            if side == "zoo":
                figures[side]["train_sps"], model = train_zoo(model_name, x, y, batch)
                calls[side] = zoo.predictor(model)  # the zoo's low-latency path
                calls["keras_predict_on_batch"] = model.predict_on_batch  # Keras's own, for reference
            else:
                figures[side]["train_sps"], runner = train_raw(
                    side.removeprefix("raw_"), model_name, x, y, batch
                )
                calls[side] = lambda batch, r=runner: r.infer(r.tensors(batch))  # numpy in, numpy out
    latency = latencies(calls, x[:1])
    keras_call = latency.pop("keras_predict_on_batch", None)
    calls.pop("keras_predict_on_batch", None)
    for side, samples_per_s in throughputs(calls, x[:256]).items():
        figures[side] |= {**latency[side], "infer_sps_b256": samples_per_s}
    if keras_call:
        figures["zoo"]["predict_on_batch_ms_b1"] = keras_call["infer_ms_b1_p50"]
    return figures


def measure_model(backend_name: str, model_name: str, quick: bool, repeats: int) -> dict:
    """{"zoo": figures, "raw_<family>": figures}, each figure the median over `repeats` rounds, training's
    the fastest round: on a shared machine one pass can run 30% slower than the next, so training repeats
    each side once per round (each round another side first) and inference takes turns call by call."""
    families = sorted(raw_families(backend_name, model_name), key=lambda f: f != backend_name)
    sides = ["zoo"] + [f"raw_{family}" for family in families]  # the judged one first of the raws
    if model_name in SCORERS:
        import zoo
        from zoo.datasets import anime

        data = (zoo.load(model_name), anime.load_sample().train)
    else:
        batch, quick_steps, full_steps = SETTINGS[model_name]
        data = (*batches(model_name, quick_steps if quick else full_steps, batch), batch)
    rounds = [measure_round(model_name, sides, data, turn) for turn in range(repeats)]
    median = lambda side, key: float(np.median([r[side][key] for r in rounds]))  # noqa: E731
    figures = {side: {key: median(side, key) for key in rounds[0][side]} for side in sides}
    for side in sides:
        if "train_sps" in figures[side]:  # timeit's rule: the fastest round is the least disturbed one
            figures[side]["train_sps_rounds"] = [r[side]["train_sps"] for r in rounds]
            figures[side]["train_sps"] = max(figures[side]["train_sps_rounds"])
    return figures


def main() -> None:
    import keras

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mnist_mlp")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, help="rounds of zoo and raw loops (default 3, 1 with --quick)")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    backend_name = keras.backend.backend()
    results = {m: measure_model(backend_name, m, args.quick, repeats) for m in args.models.split(",")}
    print(json.dumps({"backend": backend_name, "repeats": repeats, "results": results}))


if __name__ == "__main__":
    main()
