"""micrograd_like: a tiny scalar autograd engine that lets you watch backpropagation happen."""

from micrograd_like import losses, misconceptions, nn, optim
from micrograd_like.animation import animation_frames, save_backprop_animation
from micrograd_like.checks import (
    AccumulationWarning,
    AnomalyError,
    GradcheckError,
    detect_anomaly,
    gradcheck,
    warn_accumulate,
)
from micrograd_like.derivatives import grad, hessian, hvp, jvp
from micrograd_like.engine import Parameter, Value
from micrograd_like.faster import collector_paused, weighted_sum
from micrograd_like.latex import to_latex
from micrograd_like.model_view import GradientHealth, model_data, save_model_html
from micrograd_like.modes import hooks, is_grad_enabled, no_grad
from micrograd_like.network import network_deltas
from micrograd_like.nn import MLP, Layer, Module, Neuron
from micrograd_like.page import backprop_data, save_backprop_html
from micrograd_like.stepping import BackwardConflict
from micrograd_like.steps import backward_steps, explain
from micrograd_like.tape import ReplayMismatch, Tape
from micrograd_like.viz import draw_dot, save_graph
from micrograd_like.worksheet import save_worksheet, worksheet_questions

__all__ = [
    "MLP",
    "AccumulationWarning",
    "AnomalyError",
    "BackwardConflict",
    "GradcheckError",
    "GradientHealth",
    "Layer",
    "Module",
    "Neuron",
    "Parameter",
    "ReplayMismatch",
    "Tape",
    "Value",
    "animation_frames",
    "backprop_data",
    "backward_steps",
    "collector_paused",
    "detect_anomaly",
    "draw_dot",
    "explain",
    "grad",
    "gradcheck",
    "hessian",
    "hooks",
    "hvp",
    "is_grad_enabled",
    "jvp",
    "losses",
    "misconceptions",
    "model_data",
    "network_deltas",
    "nn",
    "no_grad",
    "optim",
    "save_backprop_animation",
    "save_backprop_html",
    "save_graph",
    "save_model_html",
    "save_worksheet",
    "to_latex",
    "warn_accumulate",
    "weighted_sum",
    "worksheet_questions",
]
__version__ = "0.1.0"
