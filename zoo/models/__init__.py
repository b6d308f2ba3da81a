"""One file per model family; importing this package registers them all."""

from zoo.models import dqn_cartpole, linear_regression, mnist_cnn, mnist_mlp  # noqa: F401
