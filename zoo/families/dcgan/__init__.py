"""dcgan_mnist: a class-conditional DCGAN that draws MNIST digits, with its metrics (class
agreement and FID in mnist_cnn's features, gan_metrics.py), PNG sheets (image_grid.py) and its
task (task.py). Registration only (no keras)."""

from zoo.core.registry import ModelSpec, register
from zoo.families.dcgan.task import ImageGenerator

register(
    ModelSpec(
        name="dcgan_mnist",
        task=ImageGenerator,
        module="zoo.families.dcgan.dcgan_mnist",
        dataset="mnist",
        description="Class-conditional DCGAN: draws a 28x28 MNIST digit of the digit you ask for.",
        config={"latent": 64, "label_embedding": 32, "width": 128},
        input={"noise": "(N, 64) standard normal", "labels": "(N,) digits 0-9"},
        output="images in [-1, 1], (N, 28, 28, 1); generate() gives uint8 0-255 (N, 28, 28)",
        references=(
            "Radford, Metz, Chintala 2015, Unsupervised Representation Learning with DCGANs",
            "Mirza & Osindero 2014, Conditional Generative Adversarial Nets",
            "Heusel et al. 2017, GANs Trained by a Two Time-Scale Update Rule (FID)",
        ),
    )
)
