"""The shared machinery under every family: registry, weights (hub), backend, training plumbing,
input readers, output checks, flags, atomic writes, errors. It imports nothing above it."""
