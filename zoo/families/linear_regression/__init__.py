"""linear_regression: the seed's linear model on scikit-learn's diabetes data.

Registration only (no keras): the model is built by linear_regression.py.
"""

from zoo.core.registry import ModelSpec, register
from zoo.tasks import Regressor

register(
    ModelSpec(
        name="linear_regression",
        task=Regressor,
        module="zoo.families.linear_regression.linear_regression",
        dataset="diabetes",
        description="Seed linear regression: standardize -> Dense(1), SGD on MSE (diabetes).",
        config={"features": 10},
        input={
            "shape": [10],
            "dtype": "float",
            "features": "age, sex, bmi, bp, s1-s6 as scikit-learn's load_diabetes gives them",
        },
        output="predicted disease progression one year after baseline",
        license="Apache-2.0 (code and weights); data: scikit-learn's diabetes set (BSD-3-Clause)",
        references=("Efron et al. 2004, Least Angle Regression (the diabetes data)",),
    )
)
