"""The recommenders on the anime completed lists: mult_vae (a variational autoencoder over the
whole history), two_tower (retrieval from liked items) and neumf (Neural Collaborative Filtering),
their shared training and full-ranking evaluation
(recommendation.py), top-k metrics (ranking.py) and their task (task.py). Registration only."""

from zoo.core.registry import ModelSpec, register
from zoo.datasets import anime
from zoo.families.recommenders.task import Recommender

LICENSE = "Apache-2.0 (code and weights); data: MyAnimeList via Kaggle, CC0 1.0 (`zoo data list anime`)"

register(
    ModelSpec(
        name="two_tower",
        task=Recommender,
        module="zoo.families.recommenders.two_tower",
        dataset="anime",
        description="Two-tower retrieval (liked items -> user, id + genres -> item), in-batch softmax.",
        config={
            "items": 7390,
            "features": len(anime.GENRES) + len(anime.KINDS),
            "hidden": 256,
            "dim": 256,
            "temperature": 0.1,
            "history_dropout": 0.5,
            "id_dropout": 0.2,
        },
        input={
            "history": "the user's known items: a multi-hot over the 7,390 anime ids (0-based)",
            "note": "use model.score(history_rows) or `python -m applications.recommendation recommend`",
        },
        output="a score per item (cosine / temperature + item bias); recommend the best items not yet seen",
        license=LICENSE,
        references=(
            "Yi et al. 2019, Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations",
            "Covington et al. 2016, Deep Neural Networks for YouTube Recommendations",
            "Liang et al. 2018, Variational Autoencoders for Collaborative Filtering",
        ),
    )
)

register(
    ModelSpec(
        name="neumf",
        task=Recommender,
        module="zoo.families.recommenders.neumf",
        dataset="anime",
        description="Neural Collaborative Filtering: GMF + MLP over user and item ids, 4 sampled negatives.",
        config={
            "users": 5000,
            "items": 7390,
            "gmf_dim": 32,
            "mlp_dims": [64, 32, 16],
            "l2": 1e-6,
            "negatives": 4,
        },
        input={"user": "user id 0..4999 (the anime dataset's user_id - 1)", "item": "item id 0..7389"},
        output="logit that the user has the item; rank a user's unseen items by it",
        license=LICENSE,
        references=("He et al. 2017, Neural Collaborative Filtering",),
    )
)

register(
    ModelSpec(
        name="mult_vae",
        task=Recommender,
        module="zoo.families.recommenders.mult_vae",
        dataset="anime",
        description="Mult-VAE: the whole history -> a Gaussian latent -> a softmax over all 7,390 items.",
        config={
            "items": 7390,
            "hidden": 600,
            "latent": 200,
            "dropout": 0.5,
            "beta_max": 0.2,
            "anneal_steps": 3000,  # the recipe's 60 epochs of 50 batches: beta reaches beta_max at the end
            "seed": 0,
        },
        input={
            "history": "the user's known items: a multi-hot over the 7,390 anime ids (0-based)",
            "note": "use model.score(history_rows) or `python -m applications.recommendation recommend`",
        },
        output="a logit per item (its softmax: the multinomial over items); recommend the best unseen items",
        license=LICENSE,
        references=(
            "Liang, Krishnan, Hoffman, Jebara 2018, Variational Autoencoders for Collaborative Filtering",
            "Steck 2019, Embarrassingly Shallow Autoencoders for Sparse Data (EASE, the baseline)",
        ),
    )
)
