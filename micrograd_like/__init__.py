"""micrograd_like: a tiny scalar autograd engine that lets you watch backpropagation happen."""

from micrograd_like import losses, nn, optim
from micrograd_like.checks import AnomalyError, GradcheckError, detect_anomaly, gradcheck
from micrograd_like.engine import (
    Parameter,
    Tape,
    Value,
    collector_paused,
    is_grad_enabled,
    no_grad,
)
from micrograd_like.nn import MLP, Layer, Module, Neuron
from micrograd_like.page import backprop_data, save_backprop_html
from micrograd_like.steps import backward_steps, explain
from micrograd_like.viz import draw_dot, save_graph

__all__ = [
    "MLP",
    "AnomalyError",
    "GradcheckError",
    "Layer",
    "Module",
    "Neuron",
    "Parameter",
    "Tape",
    "Value",
    "backprop_data",
    "backward_steps",
    "collector_paused",
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
