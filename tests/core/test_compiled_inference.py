"""backend.compile_inference with `trace`: the compiled call gives eager's outputs, also where an
argument is a position that changes from call to call (char_gpt's cached decoding step)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

import zoo
from zoo.core import backend
from zoo.families.char_gpt import generation


def test_compiled_decoding_step_follows_the_cache_position():
    model = zoo.load("char_gpt")
    step = generation._greedy_step(model, generation.make_sampler("greedy"))
    window = list(generation.prompt_ids(model, "ROMEO:"))
    _, cache = generation._fill(model, window)
    ids = ops.convert_to_tensor([[7]], dtype="int32")
    for index in (len(window), len(window) + 5, len(window) + 40):  # the first call compiles
        position = ops.convert_to_tensor(index)
        token, updated = step(ids, cache, position)
        logits, expected = model.call_with_cache(ids, cache, position)
        assert int(ops.convert_to_numpy(token)[0]) == int(np.argmax(ops.convert_to_numpy(logits)[0, -1]))
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
