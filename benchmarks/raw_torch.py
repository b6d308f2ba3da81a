"""The benchmark's hand-written PyTorch: the zoo's architectures in torch.nn, trained by a plain
loop with torch.optim (what a user writes without Keras). Same shapes, batch and float32."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR_MEAN = torch.tensor((125.31, 122.95, 113.87)).view(1, 3, 1, 1)
CIFAR_STD = torch.tensor((62.99, 62.09, 66.70)).view(1, 3, 1, 1)


class MnistMLP(nn.Module):
    """mnist_mlp: standardize -> Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10)
        )

    def forward(self, images):
        return self.net((images / 255.0 - MNIST_MEAN) / MNIST_STD)


class BiasOnlyBatchNorm(nn.BatchNorm2d):
    """BatchNorm without a scale (Keras's scale=False): a bias per channel only."""

    def __init__(self, channels: int):
        super().__init__(channels, momentum=0.4, eps=1e-5, affine=False)  # Keras's momentum 0.6
        self.bias_only = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return super().forward(x) + self.bias_only.view(1, -1, 1, 1)


def _group(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.MaxPool2d(2),
        BiasOnlyBatchNorm(c_out),
        nn.GELU(),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        BiasOnlyBatchNorm(c_out),
        nn.GELU(),
    )


class CifarNet(nn.Module):
    """cifar_resnet: frozen 2x2 whitening conv (24, trainable bias) -> GELU -> groups 64, 256, 256 ->
    max -> linear / 9."""

    def __init__(self):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2, bias=True)
        self.whiten.weight.requires_grad_(False)
        self.groups = nn.Sequential(_group(24, 64), _group(64, 256), _group(256, 256))
        self.head = nn.Linear(256, 10, bias=False)

    def forward(self, images):  # NCHW
        x = nn.functional.gelu(self.whiten((images - CIFAR_MEAN) / CIFAR_STD))
        x = self.groups(x).amax(dim=(2, 3))
        return self.head(x) / 9.0


class Runner:
    """One model, its optimizer and loss: a training step and an inference call on numpy batches."""

    def __init__(self, model_name: str):
        if model_name == "mnist_mlp":
            self.model = MnistMLP()
            parameters = self.model.parameters()
            self.optimizer = torch.optim.AdamW(parameters, lr=2e-3, weight_decay=1e-4, eps=1e-7)
            self.loss = nn.CrossEntropyLoss()
            self.layout = lambda x: x
        elif model_name == "cifar_resnet":
            self.model = CifarNet()
            trainable = [p for p in self.model.parameters() if p.requires_grad]
            self.optimizer = torch.optim.SGD(trainable, lr=0.1, momentum=0.85, nesterov=True, weight_decay=0)
            self.loss = nn.CrossEntropyLoss(label_smoothing=0.2)
            self.layout = lambda x: x.permute(0, 3, 1, 2)  # the zoo's NHWC batches -> torch's NCHW
        else:
            raise ValueError(f"no hand-written torch version of {model_name!r}.")

    def tensors(self, x: np.ndarray, y: np.ndarray | None = None):
        x = self.layout(torch.from_numpy(np.ascontiguousarray(x, dtype="float32")))
        return x if y is None else (x, torch.from_numpy(y.astype("int64")))

    def train_step(self, x, y):
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def infer(self, x):
        self.model.eval()
        with torch.no_grad():
            return self.model(x).numpy()


class TwoTowerScorer:
    """two_tower's scoring by hand: the user tower over dense histories, every item's vector from the
    tables, cosine / temperature + bias; `weights` are the zoo model's (harness.two_tower_weights)."""

    def __init__(self, weights: dict):
        self.w = {k: torch.from_numpy(np.asarray(v, dtype="float32")) for k, v in weights.items()}

        def score(history):
            w, normalize = self.w, lambda x: x / torch.sqrt((x * x).sum(-1, keepdim=True) + 1e-12)
            users = normalize(torch.relu(normalize(history) @ w["w1"] + w["b1"]) @ w["w2"] + w["b2"])
            items = normalize(w["embedding"] + w["features"] @ w["projection"] + w["projection_bias"])
            return users @ items.T / w["temperature"] + w["bias"]

        self.score = score

    def tensors(self, history):
        return torch.from_numpy(history.toarray().astype("float32"))

    def infer(self, history):
        with torch.no_grad():
            return self.score(history).numpy()
