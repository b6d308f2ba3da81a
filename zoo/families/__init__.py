"""Every model family, one folder each; importing this package registers their models (no keras).

Adding a family: write zoo/families/<family>/ (the model module, its recipe, its task if none of
zoo.tasks fits, an __init__.py that registers it) and add its import below.
"""

from zoo.families import (  # noqa: F401
    char_gpt,
    cifar,
    dcgan,
    dqn,
    linear_regression,
    medmnist,
    mnist,
    recommenders,
    tabular_rl,
    ts_transformer,
)
