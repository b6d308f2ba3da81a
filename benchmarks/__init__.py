"""Speed of the zoo against hand-written PyTorch and JAX: `python -m benchmarks` (see __main__)."""
