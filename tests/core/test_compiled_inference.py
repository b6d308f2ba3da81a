"""backend.compile_inference with `trace`: the compiled call gives eager's outputs, also where an
argument is a position that changes from call to call (char_gpt's cached decoding steps)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

import zoo
from zoo.core import backend
from zoo.families.char_gpt import generation


def test_compiled_decoding_steps_follow_the_cache_position():
    """The fused greedy call (AHEAD steps in one compiled call) equals AHEAD eager steps, at the first
    position it was compiled for and at later ones."""
    model = zoo.load("char_gpt")
    steps = generation._greedy_steps(model, generation.make_sampler("greedy"), generation.AHEAD)
    window = list(generation.prompt_ids(model, "ROMEO:"))
    _, cache = generation._fill(model, window)
    for index in (len(window), len(window) + 5, len(window) + 40):
        position = ops.convert_to_tensor(index)
        tokens, updated = steps(ops.convert_to_tensor([7], dtype="int32"), cache, position)
        token, expected, chosen = 7, cache, []
        for i in range(generation.AHEAD):
            ids = ops.convert_to_tensor([[token]], dtype="int32")
            logits, expected = model.call_with_cache(ids, expected, ops.convert_to_tensor(index + i))
            token = int(np.argmax(ops.convert_to_numpy(logits)[0, -1]))
            chosen.append(token)
        assert [int(t) for t in ops.convert_to_numpy(tokens)] == chosen
        np.testing.assert_allclose(ops.convert_to_numpy(updated), ops.convert_to_numpy(expected), atol=1e-5)


def test_a_trace_that_bakes_in_a_scalar_is_refused(backend_name):
    if backend_name != "torch":
        pytest.skip("torch's trace only: jit and tf.function take scalars as inputs")
    import torch

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x, position = torch.ones(1, 3), torch.tensor(4)
    baked = backend._torch_trace(model, lambda x, i: model(x) * int(i), (x, position))  # int(): a constant
    followed = backend._torch_trace(model, lambda x, i: model(x) * i, (x, position))
    assert baked is None
    assert followed is not None
    expected = (model(x) * 9).detach().numpy()
    np.testing.assert_allclose(followed(x, torch.tensor(9)).detach().numpy(), expected, rtol=1e-6)
