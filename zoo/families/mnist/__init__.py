"""The MNIST digit classifiers: mnist_mlp (the seed's MLP) and mnist_cnn (a small BN convnet).

Registration only (no keras): the models are built by mnist_mlp.py and mnist_cnn.py.
"""

from zoo.core.registry import ModelSpec, register
from zoo.tasks import ImageClassifier

INPUT = {
    "shape": [28, 28, 1],
    "also_accepts": "(N, 28, 28) without the channel axis",
    "dtype": "uint8 or float, 0-255 (exactly as the dataset stores it)",
    "color": "grayscale",
    "polarity": "white digit on black background",
    "files": "PNG/JPEG 28x28 grayscale (--resize to scale others); .npy of shape (28, 28) or (N, 28, 28)",
}
OUTPUT = "logits over the 10 digits (softmax gives probabilities)"

DIGITS = tuple(str(d) for d in range(10))  # class k is the digit k

register(
    ModelSpec(
        name="mnist_mlp",
        task=ImageClassifier,
        module="zoo.families.mnist.mnist_mlp",
        dataset="mnist",
        description="Seed MLP: Flatten-Dense128-Dropout0.2-Dense10 on MNIST digits.",
        config={"hidden": 128, "dropout": 0.2, "outputs": 10},
        input=INPUT,
        output=OUTPUT,
        labels=DIGITS,
        options={"page": "digits"},  # `zoo serve`: a sketchpad to draw on
        references=("keras.io: Simple MNIST MLP (the classic ~98% recipe)",),
        # A step of this MLP is shorter than Keras's per-step dispatch; running 10 per call
        # measured 1.8x (TF) and 1.4x (JAX) faster here. torch accepts only 1 (docs/BENCHMARKS.md).
        compile_options={"tensorflow": {"steps_per_execution": 10}, "jax": {"steps_per_execution": 10}},
    )
)

register(
    ModelSpec(
        name="mnist_cnn",
        task=ImageClassifier,
        module="zoo.families.mnist.mnist_cnn",
        dataset="mnist",
        description="Small BN convnet (2x conv32, 2x conv64, dense128) on MNIST digits.",
        config={"filters": [32, 64], "dense": 128, "dropout": 0.3, "outputs": 10},
        input=INPUT,
        output=OUTPUT,
        labels=DIGITS,
        options={"page": "digits"},  # `zoo serve`: a sketchpad to draw on
        references=("keras.io: Simple MNIST convnet (~99.2%)",),
    )
)
