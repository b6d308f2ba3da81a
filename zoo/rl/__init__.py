"""Reinforcement learning that needs no neural network: the seeds' tabular methods."""
