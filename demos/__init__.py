"""Runnable demos; each writes its pictures to demos/output/ and prints where."""
