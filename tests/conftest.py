"""Hypothesis runs the same examples on every run and machine (derandomize): a property test
fails for a reason anyone can reproduce, never because CI drew an unlucky seed, and it writes
no example database into the repository."""

from hypothesis import settings

settings.register_profile("micrograd_like", derandomize=True, database=None, deadline=None)
settings.load_profile("micrograd_like")
