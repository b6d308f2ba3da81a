"""Kerazoo: Keras 3 models that run unchanged on TensorFlow, JAX and PyTorch.

    import zoo
    zoo.list_models()              # every registered model
    model = zoo.load("mnist_mlp")  # keras.Model with pretrained, sha256-checked weights
    zoo.card("mnist_mlp")          # what it is, how it was trained, what it measured
    fast = zoo.predictor(model)    # compiled numpy -> numpy inference for single requests
    zoo.task("mnist_mlp")          # what it can do: predict, evaluate, train, generate, play, ...
    zoo.train("mnist_mlp", epochs=1, out_dir="runs/quick")   # the recipe of the shipped weights

The backend comes from KERAS_BACKEND (default: tensorflow), as in Keras itself.
"""

from zoo import datasets
from zoo.api import card, list_models, load, predictor, task, train

__all__ = ["card", "datasets", "list_models", "load", "predictor", "task", "train"]
__version__ = "0.1.0"
