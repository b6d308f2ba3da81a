"""Reinforcement learning that needs no neural network: the seeds' tabular methods (tabular.py).
No registered model: examples/tabular_rl.py runs them."""
