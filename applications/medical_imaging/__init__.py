"""Medical imaging on MedMNIST: pneumonia (chest X-ray) and breast ultrasound classifiers.

RESEARCH DEMO, NOT A MEDICAL DEVICE: nothing here may be used to diagnose or treat anyone.

    python -m applications.medical_imaging evaluate --dataset pneumoniamnist --json
    python -m applications.medical_imaging report --dataset pneumoniamnist --out runs/medical
    python -m applications.medical_imaging predict xray.png --dataset pneumoniamnist
"""

DISCLAIMER = "Research demo, not a medical device: do not use it to diagnose or treat anyone."
MODELS = {"pneumoniamnist": "pneumonia_resnet", "breastmnist": "breast_resnet"}
