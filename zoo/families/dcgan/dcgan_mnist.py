"""dcgan_mnist: a class-conditional DCGAN that draws MNIST digits on request.

Generator: noise (64) + label embedding -> Dense 7x7x128 -> two stride-2 transposed convs
(batch norm, ReLU) -> a tanh conv to a 28x28 image. Discriminator: the image with a learned
28x28 label map as a second channel -> two stride-2 convs (leaky ReLU) -> one logit.
Training alternates a discriminator step and a generator step per batch (Radford et al. 2015,
Mirza & Osindero 2014); the generator alone ships. Noise and fake labels come from numpy,
seeded by (seed, epoch, batch), so runs are reproducible and resume exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from zoo import datasets
from zoo.core import backend, registry
from zoo.core.training import Run

CONFIG = registry.get("dcgan_mnist").config  # the registration's config: one place
MAX_SAMPLES = 10_000  # what one `generate` call may ask for (memory, and a sane grid)


@dataclass(frozen=True)
class GANRecipe:
    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    loss: str = "non-saturating"  # or "minimax": the seed's min-max form, log(1 - D(G(z)))
    label_smoothing: float = 0.1  # one-sided: real targets are 1 - smoothing
    seed: int = 0
    notes: str = "Adam 2e-4, beta1 0.5 (DCGAN); one D step then one G step per batch"


@keras.saving.register_keras_serializable(package="zoo")
class DigitGenerator(keras.Model):
    """(noise, digit labels) -> images in [-1, 1], shape (N, 28, 28, 1)."""

    def __init__(self, latent=64, label_embedding=32, width=128, **kwargs):
        super().__init__(**kwargs)
        self.latent, self.label_embedding, self.width = latent, label_embedding, width
        self.embed = keras.layers.Embedding(10, label_embedding, name="label_embedding")
        self.project = keras.layers.Dense(7 * 7 * width, use_bias=False, name="project")
        self.project_bn = keras.layers.BatchNormalization(name="project_bn")
        self.up1 = keras.layers.Conv2DTranspose(width // 2, 4, 2, "same", use_bias=False, name="up1")
        self.up1_bn = keras.layers.BatchNormalization(name="up1_bn")
        self.up2 = keras.layers.Conv2DTranspose(width // 4, 4, 2, "same", use_bias=False, name="up2")
        self.up2_bn = keras.layers.BatchNormalization(name="up2_bn")
        self.to_image = keras.layers.Conv2D(1, 3, padding="same", activation="tanh", name="to_image")

    def call(self, inputs, training=False):
        noise, labels = inputs
        x = ops.concatenate([noise, self.embed(labels)], axis=-1)
        x = ops.relu(self.project_bn(self.project(x), training=training))
        x = ops.reshape(x, (-1, 7, 7, self.width))
        x = ops.relu(self.up1_bn(self.up1(x), training=training))
        x = ops.relu(self.up2_bn(self.up2(x), training=training))
        return self.to_image(x)

    def noise(self, n: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((n, self.latent)).astype("float32")

    def generate(self, labels, seed: int = 0, noise: np.ndarray | None = None) -> np.ndarray:
        """uint8 images (N, 28, 28), white digits on black like MNIST, one per requested label.

        The noise comes from numpy's generator seeded with `seed`: the same seed gives the same
        images on a backend, and (within float tolerance) on every backend.
        """
        labels = np.asarray(labels, dtype="int32").reshape(-1)
        if len(labels) < 1 or len(labels) > MAX_SAMPLES:
            raise ValueError(f"asked for {len(labels)} images; generate 1 to {MAX_SAMPLES} at a time.")
        if labels.min() < 0 or labels.max() > 9:
            bad = labels[(labels < 0) | (labels > 9)][0]
            raise ValueError(f"digit {bad} is not a digit; labels must be 0 to 9.")
        noise = self.noise(len(labels), seed) if noise is None else noise
        images = self.predict([noise, labels], batch_size=500, verbose=0)
        return to_uint8(images)

    def get_config(self):
        return {
            **super().get_config(),
            "latent": self.latent,
            "label_embedding": self.label_embedding,
            "width": self.width,
        }


def to_uint8(images) -> np.ndarray:
    """Generator output in [-1, 1] -> uint8 0-255, (N, 28, 28)."""
    images = np.asarray(images, dtype="float32").reshape(-1, 28, 28)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype("uint8")


def build_discriminator(width: int = 128) -> keras.Model:
    """(images in [-1, 1] (N, 28, 28, 1), labels) -> one real-vs-fake logit."""
    images = keras.Input((28, 28, 1), name="image")
    labels = keras.Input((), dtype="int32", name="label")
    label_map = keras.layers.Embedding(10, 28 * 28, name="label_map")(labels)
    label_map = keras.layers.Reshape((28, 28, 1))(label_map)
    x = keras.layers.Concatenate()([images, label_map])
    x = keras.layers.Conv2D(width // 2, 4, 2, "same", name="down1")(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Conv2D(width, 4, 2, "same", name="down2")(x)
    x = keras.layers.LeakyReLU(0.2)(x)
    x = keras.layers.Flatten()(x)
    logit = keras.layers.Dense(1, name="logit")(x)
    return keras.Model([images, labels], logit, name="discriminator")


class ConditionalGAN(backend.StatefulTrainStep, keras.Model):
    """Generator + discriminator, trained by fit() with one alternating step per batch.

    One Adam instance updates both nets: its moments are per parameter, so it is two Adams with
    the same settings; its step counter advances twice per batch (once per net).
    """

    def __init__(self, generator: DigitGenerator, discriminator: keras.Model, recipe: GANRecipe, **kwargs):
        super().__init__(**kwargs)
        if recipe.loss not in ("non-saturating", "minimax"):
            raise ValueError(f"unknown GAN loss {recipe.loss!r}; choose non-saturating or minimax.")
        self.generator, self.discriminator, self.recipe = generator, discriminator, recipe
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, inputs, training=False):
        noise, labels = inputs
        return self.discriminator([self.generator([noise, labels], training=training), labels])

    def discriminator_loss(self, real, labels, noise, fake_labels):
        fake = self.generator([noise, fake_labels], training=True)
        real_logits = self.discriminator([real, labels], training=True)
        fake_logits = self.discriminator([fake, fake_labels], training=True)
        target = 1.0 - self.recipe.label_smoothing
        real_loss = target * ops.softplus(-real_logits) + (1.0 - target) * ops.softplus(real_logits)
        return ops.mean(real_loss) + ops.mean(ops.softplus(fake_logits))

    def generator_loss(self, noise, fake_labels):
        fake_logits = self.discriminator([self.generator([noise, fake_labels], training=True), fake_labels])
        if self.recipe.loss == "minimax":  # minimise log(1 - D(G(z))) = -softplus(logit)
            return -ops.mean(ops.softplus(fake_logits))
        return ops.mean(ops.softplus(-fake_logits))  # maximise log D(G(z))

    def stateful_train_step(self, data):
        (real, labels, noise, fake_labels), _, _ = keras.utils.unpack_x_y_sample_weight(data)
        every = self.generator.variables + self.discriminator.variables
        d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables
        d_loss, d_grads = backend.gradients(
            lambda: self.discriminator_loss(real, labels, noise, fake_labels), d_vars, every
        )
        self.optimizer.apply(d_grads, d_vars)
        g_loss, g_grads = backend.gradients(lambda: self.generator_loss(noise, fake_labels), g_vars, every)
        self.optimizer.apply(g_grads, g_vars)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}


class GANBatches(keras.utils.PyDataset):
    """(real images in [-1, 1], their labels, noise, labels for fakes), seeded per (epoch, batch)."""

    def __init__(self, images, labels, batch_size, latent, seed=0):
        super().__init__()
        self.images, self.labels = images, labels.astype("int32")
        self.batch_size, self.latent, self.seed, self.epoch = batch_size, latent, seed, 0

    def __len__(self):
        return len(self.images) // self.batch_size  # whole batches only: one compiled shape

    def __getitem__(self, index):
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))
        rows = order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        real = self.images[rows].astype("float32")[..., None] / 127.5 - 1.0
        noise = rng.standard_normal((self.batch_size, self.latent)).astype("float32")
        fake_labels = rng.integers(0, 10, self.batch_size).astype("int32")
        return ((real, self.labels[rows], noise, fake_labels),)

    def on_epoch_end(self):
        self.epoch += 1


def build(config: dict | None = None) -> DigitGenerator:
    config = {**CONFIG, **(config or {})}
    generator = DigitGenerator(**config, name="dcgan_mnist")
    generator([np.zeros((1, config["latent"]), "float32"), np.zeros((1,), "int32")])
    return generator


def build_gan(recipe: GANRecipe) -> ConditionalGAN:
    """A fresh generator + discriminator pair, compiled and built (so checkpoints load into it)."""
    generator = build(CONFIG)
    gan = ConditionalGAN(generator, build_discriminator(CONFIG["width"]), recipe, name="conditional_gan")
    gan.compile(optimizer=keras.optimizers.Adam(recipe.learning_rate, beta_1=recipe.beta_1))
    gan([generator.noise(1), np.zeros((1,), "int32")])
    gan.optimizer.build(gan.trainable_variables)
    return gan


def train(spec, options, recipe: GANRecipe | None = None) -> dict:
    """Train the conditional DCGAN on MNIST train inside a Run; checkpoints every epoch, resumes."""
    options.refuse("steps", "holdout", because=f"{spec.name} trains by epochs over MNIST train")
    recipe = options.recipe(recipe or RECIPE)
    with Run(spec.name, options) as run:
        backend.seed_everything(recipe.seed)
        images, labels = datasets.load("mnist", "train", data_dir=options.data_dir, limit=options.limit)
        batches = GANBatches(
            images, labels, min(recipe.batch_size, len(images)), CONFIG["latent"], recipe.seed
        )
        gan = build_gan(recipe)
        history = run.fit(gan, batches, epochs=recipe.epochs)
        result = {
            "recipe": dataclasses.asdict(recipe),
            "train_examples": int(len(images)),
            "wall_time_s": run.wall_time(history),
            "history": history,
        }
        return run.finish(gan.generator, result)


RECIPE = GANRecipe()
