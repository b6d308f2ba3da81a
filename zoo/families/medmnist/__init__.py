"""The MedMNIST binary classifiers: pneumonia_resnet (chest X-ray) and breast_resnet (ultrasound),
one small ResNet (medmnist_resnet.py) trained with a recipe per dataset.

Registration only (no keras).
"""

from zoo.core.registry import ModelSpec, register
from zoo.tasks import BinaryImageClassifier


def _register(name, dataset, *, description, output, modality, data_title, labels, positive_label,
              threshold, recipe_name, references) -> ModelSpec:  # fmt: skip
    """The two MedMNIST classifiers differ only in data, labels and recipe."""
    return register(
        ModelSpec(
            name=name,
            task=BinaryImageClassifier,
            module="zoo.families.medmnist.medmnist_resnet",
            recipe_name=recipe_name,
            dataset=dataset,
            description=description,
            config={"stages": [32, 64, 128], "dropout": 0.2, "outputs": 1},
            input={
                "shape": [28, 28, 1],
                "also_accepts": "(N, 28, 28) without the channel axis",
                "dtype": "uint8 or float, 0-255 (as the MedMNIST npz stores it)",
                "color": "grayscale",
                "modality": f"{modality} ({data_title})",
                "files": "PNG/JPEG converted to grayscale; other sizes than 28x28 with "
                "`zoo predict --resize` (`python -m applications.medical_imaging predict` always resizes)",
            },
            output=output,
            labels=labels,
            # threshold: the decision's logit cut for the shipped weights (their sha256: other weights
            # decide at 0), chosen on the validation split by tools/choose_threshold.py
            options={"positive_label": positive_label, "page": "medical", "threshold": threshold},
            license=f"Apache-2.0 (code and weights); data: MedMNIST v2 {data_title}, CC BY 4.0",
            references=("Yang et al. 2023, MedMNIST v2 (Scientific Data 10, 41)", *references),
        )
    )


_register(
    "pneumonia_resnet",
    "pneumoniamnist",
    description="Small ResNet: pediatric chest X-ray, normal (0) vs pneumonia (1).",
    output="logit of pneumonia (label 1); sigmoid gives its probability",
    modality="chest X-ray",
    data_title="PneumoniaMNIST",
    labels=("normal", "pneumonia"),
    positive_label=1,
    threshold={
        "logit": 0.5661,
        "weights_sha256": "f6457d7cda8b6066a9f2d4c0da8adf385dc667d9b6eda0990f622ed69587bcaf",
    },
    recipe_name="PNEUMONIA_RECIPE",
    references=("Kermany et al. 2018, Cell 172(5) (the chest X-rays)",),
)

_register(
    "breast_resnet",
    "breastmnist",
    description="Small ResNet: breast ultrasound, malignant (0) vs normal or benign (1).",
    output="logit of normal/benign (label 1); sigmoid gives its probability, 1 - it malignancy's",
    modality="breast ultrasound",
    data_title="BreastMNIST",
    labels=("malignant", "normal or benign"),
    positive_label=0,
    threshold={
        "logit": -1.1025,
        "weights_sha256": "90768ec62a2a63af2ec7f1e20264fa2e9ec2f8e875a294d9b5a669c6c4228aa9",
    },
    recipe_name="BREAST_RECIPE",
    references=("Al-Dhabyani et al. 2020, Dataset of breast ultrasound images (Data in Brief 28)",),
)
