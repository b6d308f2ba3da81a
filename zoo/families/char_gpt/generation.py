"""Text generation from a character LM with keras-hub samplers, one character at a time.

The decoding loop is ours (so text can stream as it is made); the choice of each next
character is the keras-hub sampler's (`compute_probabilities` applies the temperature,
`get_next_token` does greedy / top-k / top-p / random sampling with a seeded generator).

With the cache, each new character runs one position through the model against the stored
keys and values. Without it, the whole window is recomputed. Both see the same window: once it
holds `context` characters it is cut to its last `context // 2` and the cache is refilled from
those, so cached and uncached decoding compute the same function (tests/test_char_gpt.py checks
that their greedy outputs are equal).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import keras_hub
import numpy as np
from keras import ops

from zoo.core import backend

SAMPLERS = ("greedy", "top_k", "top_p", "random")
START = "\n"  # an empty prompt starts as a new line of the play would


def make_sampler(
    name: str = "greedy",
    temperature: float = 1.0,
    k: int = 10,
    p: float = 0.9,
    seed=None,
    vocabulary_size=None,
):
    """A keras-hub sampler by name; a clear error for unknown names and bad settings."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}.")
    if not 0 < temperature < float("inf"):
        raise ValueError(f"--temperature must be a positive finite number, got {temperature}.")
    if seed is not None and seed < 0:
        raise ValueError(f"--seed must be a whole number >= 0, got {seed}.")
    most = vocabulary_size or float("inf")
    if name == "top_k" and not 1 <= k <= most:
        raise ValueError(f"--k must be between 1 and the {most} characters of the vocabulary, got {k}.")
    if name == "top_p" and not 0 < p <= 1:
        raise ValueError(f"--p must be in (0, 1], got {p}.")
    samplers = keras_hub.samplers
    if name == "greedy":
        return samplers.GreedySampler(temperature=temperature)
    if name == "top_k":
        return samplers.TopKSampler(k=k, seed=seed, temperature=temperature)
    if name == "top_p":
        return samplers.TopPSampler(p=p, seed=seed, temperature=temperature)
    return samplers.RandomSampler(seed=seed, temperature=temperature)


def prompt_ids(model, prompt: str) -> np.ndarray:
    """The prompt's ids, cut to its last `context - 1` characters (room for one new character)."""
    ids = model.tokenizer.encode(prompt or START)
    return ids[-(model.context - 1) :]


AHEAD = 8  # characters per compiled call of greedy decoding (fewer where the window or max_new ends)


def generate(
    model, prompt: str, max_new: int, sampler=None, use_cache: bool = True, fused: bool = True
) -> Iterator[str]:
    """Yield `max_new` new characters continuing `prompt`, one at a time. With the cache and the
    greedy sampler, the model's steps and their choices run as one compiled call for `AHEAD`
    characters at a time (`fused=False`: one step, then the sampler, per character, the way the
    random samplers run; the same text)."""
    if max_new < 0:
        raise ValueError(f"max_new must be zero or a positive number of characters, got {max_new}.")
    sampler = sampler or make_sampler("greedy")
    fused = use_cache and fused and isinstance(sampler, keras_hub.samplers.GreedySampler)
    window = list(prompt_ids(model, prompt))
    keep = model.context // 2
    logits, cache = _fill(model, window) if use_cache else (_full(model, window), None)
    token = sampler.get_next_token(sampler.compute_probabilities(logits))
    ahead: list[int] = []  # characters a fused call chose beyond the next one: already in the cache
    for produced in range(max_new):
        in_cache = bool(ahead)
        chosen = ahead.pop(0) if in_cache else int(ops.convert_to_numpy(token)[0])
        yield model.tokenizer.vocabulary[chosen]
        window.append(chosen)
        if in_cache:
            continue
        if len(window) == model.context:  # no room for the next position: slide
            window = window[-keep:]
            if use_cache:  # the slide's refill: one compiled call of one shape
                logits, cache = _refill(model)(ops.convert_to_tensor([window], dtype="int32"))
                token = sampler.get_next_token(sampler.compute_probabilities(logits))
                continue
        if use_cache:
            index = ops.convert_to_tensor(len(window) - 1)
            if fused:  # steps and greedy choices in one compiled call, while the window has room
                room = len(window) + AHEAD <= model.context and max_new - produced - 1 >= AHEAD
                tokens, cache = _greedy_steps(model, sampler, AHEAD if room else 1)(token, cache, index)
                *ahead, last = (int(t) for t in ops.convert_to_numpy(tokens))
                token = ops.convert_to_tensor([last], dtype="int32")
                continue
            logits, cache = _step(model)(ops.convert_to_tensor([[chosen]], dtype="int32"), cache, index)
        else:
            logits = _full(model, window)
        token = sampler.get_next_token(sampler.compute_probabilities(logits))


def _greedy_steps(model, sampler, n: int):
    """(token (1,), cache, index) -> (the next n tokens (n,), cache): n greedy steps, each feeding the
    last choice back in, compiled as one call (a keras.ops.fori_loop), once per model, temperature and n."""
    steps = model.__dict__.setdefault("_zoo_greedy_steps", {})
    key = (type(sampler), sampler.temperature, n)
    if key not in steps:
        choose = type(sampler)(temperature=sampler.temperature)  # its own: later changes do not leak in

        def run(token, cache, index):
            def body(i, state):
                token, cache, chosen = state
                logits, cache = model.call_with_cache(ops.reshape(token, (1, 1)), cache, index + i)
                token = ops.cast(choose.get_next_token(choose.compute_probabilities(logits[:, -1])), "int32")
                return token, cache, ops.slice_update(chosen, ops.reshape(i, (1,)), token)

            start = (ops.cast(token, "int32"), cache, ops.zeros((n,), "int32"))
            _, cache, chosen = ops.fori_loop(0, n, body, start)
            return chosen, cache

        steps[key] = backend.compile_inference(run, model, trace=True)
    return steps[key]


def _step(model):
    """The compiled one-position step (built once per model): (ids, cache, index) -> logits, cache."""
    if getattr(model, "_zoo_cached_step", None) is None:

        def step(ids, cache, index):
            logits, cache = model.call_with_cache(ids, cache, index)
            return logits[:, -1], cache

        model._zoo_cached_step = backend.compile_inference(step, model, trace=True)
    return model._zoo_cached_step


def _refill(model):
    """_fill compiled for the slide, whose window always has `context // 2` characters (one shape);
    the prompt's first fill stays eager: its length differs from call to call."""
    if getattr(model, "_zoo_refill", None) is None:

        def refill(ids):
            logits, cache = model.call_with_cache(ids, model.empty_cache(1), 0)
            return logits[:, -1], cache

        model._zoo_refill = backend.compile_inference(refill, model, trace=True)
    return model._zoo_refill


def _fill(model, window: list[int]):
    """Logits after `window` and a cache holding its keys and values."""
    ids = ops.convert_to_tensor([window], dtype="int32")
    logits, cache = model.call_with_cache(ids, model.empty_cache(1), 0)
    return logits[:, -1], cache


def _full(model, window: list[int]):
    return model(ops.convert_to_tensor([window], dtype="int32"))[:, -1]


def generate_text(model, prompt: str, max_new: int, sampler=None, use_cache: bool = True) -> dict:
    """The whole continuation and its speed: {"text", "tokens_per_s"}."""
    started = time.perf_counter()
    text = "".join(generate(model, prompt, max_new, sampler=sampler, use_cache=use_cache))
    seconds = time.perf_counter() - started
    return {"text": text, "tokens_per_s": round(max_new / seconds, 1) if seconds > 0 else None}
