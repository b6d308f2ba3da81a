"""two_tower: a retrieval model for the anime completed lists, a user tower and an item tower
whose dot product scores every item, trained with in-batch softmax negatives.

User tower: the user's known items as an L2-normalised multi-hot (dropout on it while training),
Dense(hidden, relu) -> Dense(dim) -> L2 norm. Reading the items rather than a user id, it serves a
user it never saw from a few liked titles (fold-in without retraining).
Item tower: an id embedding plus a projection of the item's genre/type features -> L2 norm. The id
part is dropped for a random share of training examples, so an item known only by its genres
(a new item) still gets a useful vector.
Score: cosine / temperature + a per-item bias. Loss: softmax over the batch's target items (the
other users' targets are the negatives), minus log(item frequency) to undo the popularity bias of
in-batch sampling (Yi et al. 2019). A training example is (user, one of their items) with that
item removed from the input.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from scipy import sparse

from zoo.core import backend, registry
from zoo.core.registry import AdamRecipe
from zoo.datasets import anime

CONFIG = registry.get("two_tower").config  # the registration's config: one place


def _l2_normalize(x):
    return x / ops.sqrt(ops.sum(ops.square(x), axis=-1, keepdims=True) + 1e-12)


@keras.saving.register_keras_serializable(package="zoo")
class TwoTower(keras.Model):
    """call({"history", "item", "keep_id"}) -> (batch, batch) logits of each user for each target."""

    def __init__(self, items, features, hidden, dim, temperature, history_dropout, id_dropout, **kwargs):
        super().__init__(**kwargs)
        self.config = dict(items=items, features=features, hidden=hidden, dim=dim, temperature=temperature,
                           history_dropout=history_dropout, id_dropout=id_dropout)  # fmt: skip
        self.items, self.temperature, self.id_dropout = items, temperature, id_dropout
        self.history_dropout = keras.layers.Dropout(history_dropout)
        self.user_hidden = keras.layers.Dense(hidden, activation="relu", name="user_hidden")
        self.user_out = keras.layers.Dense(dim, name="user_out")
        self.item_embedding = keras.layers.Embedding(items, dim, name="item_embedding")
        self.item_projection = keras.layers.Dense(dim, name="item_projection")
        # A per-item bias beside the cosine: how likely an item is whoever the user is (its popularity).
        self.item_bias = keras.layers.Embedding(items, 1, embeddings_initializer="zeros", name="item_bias")
        # Fixed tables filled by prepare(): part of the weights, so a loaded model needs no data files.
        self.item_features = self.add_weight((items, features), initializer="zeros", trainable=False,
                                             name="item_features")  # fmt: skip
        self.log_frequency = self.add_weight(
            (items,), initializer="zeros", trainable=False, name="log_frequency"
        )

    def get_config(self):
        return {**super().get_config(), **self.config}

    def build(self, input_shape=None):
        self.user_hidden.build((None, self.items))
        self.user_out.build((None, self.user_hidden.units))
        self.item_embedding.build((None,))
        self.item_bias.build((None,))
        self.item_projection.build((None, self.item_features.shape[1]))
        self.built = True

    def prepare(self, train: sparse.csr_matrix, items: anime.Items) -> None:
        counts = np.asarray(train.sum(axis=0)).ravel()
        self.item_features.assign(items.features())
        self.log_frequency.assign(np.log((counts + 1.0) / (counts + 1.0).sum()).astype("float32"))

    def user_vectors(self, history, training=False):
        x = _l2_normalize(self.history_dropout(history, training=training))
        return _l2_normalize(self.user_out(self.user_hidden(x)))

    def item_vectors(self, items, keep_id=None, features=None):
        """Item vectors; keep_id 0 drops an item's id embedding (a new item: its features only)."""
        features = ops.take(self.item_features, items, axis=0) if features is None else features
        by_id = self.item_embedding(items)
        if keep_id is not None:
            by_id = by_id * ops.expand_dims(keep_id, -1)
        return _l2_normalize(by_id + self.item_projection(features))

    def logits(self, users, items, keep_id=None, features=None):
        """(users, items) scores: cosine / temperature + the item's bias (its id part: dropped with it)."""
        bias = self.item_bias(items)[:, 0]
        if keep_id is not None:
            bias = bias * ops.convert_to_tensor(keep_id, bias.dtype)
        cosine = ops.matmul(users, ops.transpose(self.item_vectors(items, keep_id, features)))
        return cosine / self.temperature + ops.expand_dims(bias, 0)

    def call(self, inputs, training=False):
        users = self.user_vectors(inputs["history"], training=training)
        logits = self.logits(users, inputs["item"], inputs["keep_id"])
        return logits - ops.expand_dims(ops.take(self.log_frequency, inputs["item"], axis=0), 0)

    def training_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def all_item_vectors(self):
        """Every item's vector, from the tables themselves (not a gather of each of their rows)."""
        return _l2_normalize(self.item_embedding.embeddings + self.item_projection(self.item_features))

    def all_logits(self, history):
        """(users, every item) logits of dense multi-hot histories: logits(users, all items), without
        the three gathers of whole tables (the compiled call of score)."""
        cosine = ops.matmul(self.user_vectors(history), ops.transpose(self.all_item_vectors()))
        return cosine / self.temperature + ops.expand_dims(self.item_bias.embeddings[:, 0], 0)

    def score(self, history: sparse.csr_matrix, users=None) -> np.ndarray:
        """Every item's logit for each history's user (user ids are not used: the history is the user).
        Runs compiled (zoo.core.backend.numpy_inference), which reads the weights at each call."""
        if getattr(self, "_zoo_scorer", None) is None:  # untracked by Keras: not a layer or a weight
            object.__setattr__(self, "_zoo_scorer", backend.numpy_inference(self.all_logits, self))
        return self._zoo_scorer(history.toarray().astype("float32"))


class PairBatches(keras.utils.PyDataset):
    """Every training (user, item) pair once per epoch in a seeded order; the input history is the
    user's other training items. Depends only on (seed, epoch, batch): resumes exactly."""

    def __init__(
        self,
        train: sparse.csr_matrix,
        batch_size: int,
        seed: int = 0,
        id_dropout: float = CONFIG["id_dropout"],
    ):
        super().__init__()
        self.train, self.batch_size, self.seed, self.id_dropout = train, batch_size, seed, id_dropout
        self.users, self.items = train.nonzero()
        self.epoch, self._order_epoch = 0, None

    def __len__(self) -> int:
        return int(np.ceil(len(self.users) / self.batch_size))

    def _order(self) -> np.ndarray:
        if self._order_epoch != self.epoch:  # one permutation per epoch, not per batch
            self._cached_order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.users))
            self._order_epoch = self.epoch
        return self._cached_order

    def __getitem__(self, index: int):
        order = self._order()
        pairs = order[index * self.batch_size : (index + 1) * self.batch_size]
        users, items = self.users[pairs], self.items[pairs]
        history = self.train[users].toarray().astype("float32")
        history[np.arange(len(pairs)), items] = 0.0
        keep_id = np.random.default_rng([self.seed, self.epoch, index]).random(len(pairs)) >= self.id_dropout
        inputs = {"history": history, "item": items.astype("int32"), "keep_id": keep_id.astype("float32")}
        return inputs, np.arange(len(pairs), dtype="int32")

    def on_epoch_end(self) -> None:
        self.epoch += 1


def build(config: dict | None = None) -> TwoTower:
    model = TwoTower(**{**CONFIG, **(config or {})}, name="two_tower")
    model.build()
    return model


RECIPE = AdamRecipe(
    epochs=10,
    batch_size=1024,
    learning_rate=1e-3,
    notes="in-batch softmax with log-frequency correction; history dropout 0.5, id dropout 0.2",
)
BATCHES = PairBatches  # the training batches: BATCHES(train_matrix, batch_size, seed)
