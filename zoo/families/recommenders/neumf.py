"""neumf: Neural Collaborative Filtering (He et al. 2017) on the anime completed lists.

GMF (elementwise product of user and item embeddings) beside an MLP over the concatenated user and
item embeddings (its own embeddings, tower 64 -> 32 -> 16), joined by one output unit: the logit
that the user has the item. Trained with binary cross-entropy on each training pair and `negatives`
items drawn uniformly from those the user does not have, as in the paper.
A user is an id: NeuMF ranks only users it was trained on (no fold-in).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from scipy import sparse

from zoo.core import registry
from zoo.core.registry import AdamRecipe
from zoo.datasets import anime

CONFIG = registry.get("neumf").config  # the registration's config: one place


@keras.saving.register_keras_serializable(package="zoo")
class NeuMF(keras.Model):
    """call({"user", "item"}) -> (batch,) logits."""

    def __init__(self, users, items, gmf_dim, mlp_dims, l2, negatives, **kwargs):
        super().__init__(**kwargs)
        self.config = dict(users=users, items=items, gmf_dim=gmf_dim, mlp_dims=list(mlp_dims), l2=l2,
                           negatives=negatives)  # fmt: skip
        self.users, self.items = users, items
        regularizer = keras.regularizers.L2(l2)

        def embedding(count, dim, name):
            return keras.layers.Embedding(count, dim, embeddings_regularizer=regularizer, name=name)

        self.gmf_user, self.gmf_item = (
            embedding(users, gmf_dim, "gmf_user"),
            embedding(items, gmf_dim, "gmf_item"),
        )
        half = mlp_dims[0] // 2
        self.mlp_user, self.mlp_item = embedding(users, half, "mlp_user"), embedding(items, half, "mlp_item")
        self.mlp = [
            keras.layers.Dense(d, activation="relu", name=f"mlp_{i}") for i, d in enumerate(mlp_dims[1:])
        ]
        self.output_layer = keras.layers.Dense(1, name="prediction")

    def get_config(self):
        return {**super().get_config(), **self.config}

    def build(self, input_shape=None):
        for layer in (self.gmf_user, self.gmf_item, self.mlp_user, self.mlp_item):
            layer.build((None,))
        width = self.config["mlp_dims"][0]
        for layer in self.mlp:
            layer.build((None, width))
            width = layer.units
        self.output_layer.build((None, self.config["gmf_dim"] + width))
        self.built = True

    def prepare(self, train: sparse.csr_matrix, items: anime.Items) -> None:
        if train.shape != (self.users, self.items):
            raise ValueError(
                f"neumf is built for {self.users} x {self.items} interactions, got {train.shape}."
            )

    def pair_logits(self, user_gmf, user_mlp, item_gmf, item_mlp):
        x = ops.concatenate([user_mlp, item_mlp], axis=-1)
        for layer in self.mlp:
            x = layer(x)
        return self.output_layer(ops.concatenate([user_gmf * item_gmf, x], axis=-1))[..., 0]

    def call(self, inputs, training=False):
        users, items = inputs["user"], inputs["item"]
        return self.pair_logits(
            self.gmf_user(users), self.mlp_user(users), self.gmf_item(items), self.mlp_item(items)
        )

    def training_loss(self):
        return keras.losses.BinaryCrossentropy(from_logits=True)

    def score(self, history, users) -> np.ndarray:
        """Logits of every item for the given user ids (history is not used: ids carry the user)."""
        users = np.asarray(users)
        if users.size and (users.min() < 0 or users.max() >= self.users):
            raise ValueError(f"neumf knows users 0..{self.users - 1}; got ids {users.min()}..{users.max()}.")
        ids = np.arange(self.items)
        item_gmf, item_mlp = self.gmf_item(ids), self.mlp_item(ids)
        rows = []
        for start in range(0, len(users), 16):  # 16 users x all items per call
            chunk = users[start : start + 16]
            logits = self.pair_logits(
                ops.repeat(self.gmf_user(chunk), self.items, axis=0),
                ops.repeat(self.mlp_user(chunk), self.items, axis=0),
                ops.tile(item_gmf, (len(chunk), 1)),
                ops.tile(item_mlp, (len(chunk), 1)),
            )
            rows.append(ops.reshape(logits, (len(chunk), self.items)))
        return ops.convert_to_numpy(ops.concatenate(rows)) if rows else np.zeros((0, self.items), "float32")


class NegativeSampledPairs(keras.utils.PyDataset):
    """Each training pair (label 1) and `negatives` unobserved items of the same user (label 0),
    shuffled; negatives and order depend only on (seed, epoch): resumes exactly."""

    def __init__(
        self, train: sparse.csr_matrix, batch_size: int, seed: int = 0, negatives: int = CONFIG["negatives"]
    ):
        super().__init__()
        self.train, self.batch_size, self.seed, self.negatives = train, batch_size, seed, negatives
        self.users, self.items = train.nonzero()
        self.known = np.sort(self.users.astype("int64") * train.shape[1] + self.items)
        self.epoch, self._examples_epoch = 0, None

    def __len__(self) -> int:
        return int(np.ceil(len(self.users) * (1 + self.negatives) / self.batch_size))

    def _examples(self):
        if self._examples_epoch != self.epoch:
            rng = np.random.default_rng([self.seed, self.epoch])
            users = np.repeat(self.users, self.negatives)
            items = rng.integers(self.train.shape[1], size=len(users))
            clash = np.isin(users * self.train.shape[1] + items, self.known)
            while clash.any():  # redraw negatives the user actually has
                items[clash] = rng.integers(self.train.shape[1], size=int(clash.sum()))
                clash[clash] = np.isin(users[clash] * self.train.shape[1] + items[clash], self.known)
            all_users = np.concatenate([self.users, users]).astype("int32")
            all_items = np.concatenate([self.items, items]).astype("int32")
            labels = np.concatenate([np.ones(len(self.users)), np.zeros(len(users))]).astype("float32")
            order = rng.permutation(len(labels))
            self._cache = all_users[order], all_items[order], labels[order]
            self._examples_epoch = self.epoch
        return self._cache

    def __getitem__(self, index: int):
        users, items, labels = self._examples()
        batch = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return {"user": users[batch], "item": items[batch]}, labels[batch]

    def on_epoch_end(self) -> None:
        self.epoch += 1


def build(config: dict | None = None) -> NeuMF:
    model = NeuMF(**{**CONFIG, **(config or {})}, name="neumf")
    model.build()
    return model


RECIPE = AdamRecipe(
    epochs=10,
    batch_size=2048,
    learning_rate=1e-3,
    notes="binary cross-entropy, 4 uniform negatives per positive redrawn each epoch",
)
BATCHES = NegativeSampledPairs  # the training batches: BATCHES(train_matrix, batch_size, seed)
