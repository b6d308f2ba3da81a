"""The task contract (base.Task) and the tasks shared by several families (classification,
regression). Tasks that belong to one family (language model, GAN, agent, recommender,
forecaster) live in that family's folder, beside the helpers they use."""

from zoo.tasks.base import NotSupported, Task
from zoo.tasks.classification import BinaryImageClassifier, ImageClassifier
from zoo.tasks.regression import Regressor

__all__ = ["BinaryImageClassifier", "ImageClassifier", "NotSupported", "Regressor", "Task"]
