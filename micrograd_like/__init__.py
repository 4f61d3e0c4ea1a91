"""micrograd_like: a tiny scalar autograd engine that lets you watch backpropagation happen."""

from micrograd_like import losses, nn, optim
from micrograd_like.debug import AnomalyError, GradcheckError, detect_anomaly, explain, gradcheck
from micrograd_like.engine import Value, is_grad_enabled, no_grad
from micrograd_like.nn import MLP, Layer, Module, Neuron, Parameter
from micrograd_like.page import save_backprop_html
from micrograd_like.viz import draw_dot, save_graph

__all__ = [
    "MLP",
    "AnomalyError",
    "GradcheckError",
    "Layer",
    "Module",
    "Neuron",
    "Parameter",
    "Value",
    "detect_anomaly",
    "draw_dot",
    "explain",
    "gradcheck",
    "is_grad_enabled",
    "losses",
    "nn",
    "no_grad",
    "optim",
    "save_backprop_html",
    "save_graph",
]
__version__ = "0.1.0"
