"""micrograd_like: a tiny scalar autograd engine that lets you watch backpropagation happen."""

from micrograd_like.engine import Value, is_grad_enabled, no_grad

__all__ = ["Value", "is_grad_enabled", "no_grad"]
__version__ = "0.1.0"
