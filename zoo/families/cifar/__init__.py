"""The CIFAR-10 classifiers: cifar_resnet (airbench-style), cifar_cnn (the seed's plain convnet)
and catdog_cnn (the seed's binary cat-vs-dog convnet).

Registration only (no keras): the models are built by cifar_resnet.py, cifar_cnn.py, catdog_cnn.py.
"""

from zoo.core.registry import ModelSpec, register
from zoo.datasets.cifar10 import LABELS
from zoo.tasks import BinaryImageClassifier, ImageClassifier

INPUT = {
    "shape": [32, 32, 3],
    "dtype": "uint8 or float, 0-255 (exactly as the dataset stores it)",
    "color": "RGB",
    "files": "PNG/JPEG of any size; grayscale files are copied to all three channels",
    "resize": "always",  # files are scaled to 32x32 without --resize: photos rarely come that small
}
LICENSE = "Apache-2.0 (code and weights); data: CIFAR-10 (Krizhevsky 2009)"
OUTPUT = "10 logits in the order of zoo.datasets.cifar10.LABELS (softmax gives probabilities)"

register(
    ModelSpec(
        name="cifar_resnet",
        task=ImageClassifier,
        module="zoo.families.cifar.cifar_resnet",
        dataset="cifar10",
        description="Fast airbench-style CNN (whitening + 3 conv groups, 2.0M params) for CIFAR-10.",
        config={
            "widths": [64, 256, 256],
            "whiten_width": 24,
            "bn_momentum": 0.6,
            "head_scale": 1 / 9,
            "outputs": 10,
        },
        input=INPUT,
        output=OUTPUT,
        labels=LABELS,
        options={"flip_tta": True, "translate_tta": 1},
        license=LICENSE,
        references=(
            "Jordan 2024, 94% on CIFAR-10 in 3.29 Seconds on a Single GPU (arXiv:2404.00498)",
            "Page 2018, How to train your ResNet (DAWNBench, myrtle.ai)",
        ),
    )
)

register(
    ModelSpec(
        name="cifar_cnn",
        task=ImageClassifier,
        module="zoo.families.cifar.cifar_cnn",
        dataset="cifar10",
        description="The seed's plain convnet conv64-conv128-fc1024-fc10 on CIFAR-10 (2.2M params).",
        config={"filters": [64, 128], "pools": [2, 4], "dense": 1024, "outputs": 10},
        input=INPUT,
        output=OUTPUT,
        labels=LABELS,
        options={"flip_tta": True},
        license=LICENSE,
        references=("Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images",),
    )
)

register(
    ModelSpec(
        name="catdog_cnn",
        task=BinaryImageClassifier,
        module="zoo.families.cifar.catdog_cnn",
        dataset="cifar10_catdog",
        description="The seed's binary convnet Conv32-Conv64-Dense128-Dense1: CIFAR-10 cat (0) vs dog (1).",
        config={"filters": [32, 64], "dense": 128, "outputs": 1},
        input=INPUT,
        output="logit of dog (label 1); sigmoid gives P(dog), 1 - it P(cat)",
        labels=("cat", "dog"),
        options={"positive_label": 1, "flip_tta": True},
        license=LICENSE,
        references=("Krizhevsky 2009, Learning Multiple Layers of Features from Tiny Images",),
    )
)
