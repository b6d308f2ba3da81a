"""The CIFAR-10 classifiers: cifar_resnet (airbench-style), cifar_cnn (the seed's plain convnet)
and catdog_cnn (the seed's binary cat-vs-dog convnet); and breast_cifar_resnet, cifar_resnet's network
carried over to BreastMNIST from its CIFAR-10 weights.

Registration only (no keras): the models are built by cifar_resnet.py, cifar_cnn.py, catdog_cnn.py and
medmnist_transfer.py.
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

RESNET_CONFIG = {"widths": [64, 256, 256], "whiten_width": 24, "bn_momentum": 0.6, "head_scale": 1 / 9}

register(
    ModelSpec(
        name="cifar_resnet",
        task=ImageClassifier,
        module="zoo.families.cifar.cifar_resnet",
        dataset="cifar10",
        description="Fast airbench-style CNN (whitening + 3 conv groups, 2.0M params) for CIFAR-10.",
        config={**RESNET_CONFIG, "outputs": 10},
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


register(
    ModelSpec(
        name="breast_cifar_resnet",
        task=BinaryImageClassifier,
        module="zoo.families.cifar.medmnist_transfer",
        recipe_name="BREAST_RECIPE",
        dataset="breastmnist",
        description="cifar_resnet's net from its CIFAR-10 weights: breast ultrasound, malignant (0) vs "
        "normal or benign (1).",
        config={**RESNET_CONFIG, "bn_momentum": 0.9, "outputs": 1},  # batches of 32: steadier BN statistics
        input={
            "shape": [28, 28, 1],
            "also_accepts": "(N, 28, 28) without the channel axis",
            "dtype": "uint8 or float, 0-255 (as the MedMNIST npz stores it)",
            "color": "grayscale",
            "modality": "breast ultrasound (BreastMNIST)",
            "files": "PNG/JPEG converted to grayscale; other sizes than 28x28 with `zoo predict --resize`",
        },
        output="logit of normal/benign (label 1); sigmoid gives its probability, 1 - it malignancy's",
        labels=("malignant", "normal or benign"),
        # threshold: the decision's logit cut for the shipped weights (their sha256: other weights decide
        # at 0), chosen on the validation split by tools/choose_threshold.py
        options={
            "positive_label": 0,
            "page": "medical",
            "threshold": {
                "logit": 0.21,
                "weights_sha256": "1ed8bf984ce826fe2f141d78acab25c72055e3b23a555b359819fa92427c2b63",
            },
        },
        license="Apache-2.0 (code and weights); data: MedMNIST v2 BreastMNIST, CC BY 4.0; "
        "initial weights: cifar_resnet's (CIFAR-10)",
        references=(
            "Yang et al. 2023, MedMNIST v2 (Scientific Data 10, 41)",
            "Al-Dhabyani et al. 2020, Dataset of breast ultrasound images (Data in Brief 28)",
            "Jordan 2024, 94% on CIFAR-10 in 3.29 Seconds on a Single GPU (arXiv:2404.00498)",
        ),
    )
)
