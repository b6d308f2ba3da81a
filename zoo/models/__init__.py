"""One file per model family; importing this package registers them all."""

from zoo.models import (  # noqa: F401
    catdog_cnn,
    char_gpt,
    cifar_cnn,
    cifar_resnet,
    dcgan_mnist,
    dqn_cartpole,
    linear_regression,
    medmnist_resnet,
    mnist_cnn,
    mnist_mlp,
    neumf,
    ts_transformer,
    two_tower,
)
