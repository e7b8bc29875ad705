"""Layer factories of the Stable Diffusion reference (sd_ref.py): parameters made on a chosen device
(on_device("meta") builds full-size models without memory), and merged config defaults."""
import contextlib

import torch.nn as nn

# ---------------------------------------------------------------------------------------------
# Layer factories. Parameters are made on _DEVICE[0]; on_device("meta") builds a full-size model
# without memory, to compare parameter names and counts with the published checkpoints.
_DEVICE = [None]


@contextlib.contextmanager
def on_device(device):
    old, _DEVICE[0] = _DEVICE[0], device
    try:
        yield
    finally:
        _DEVICE[0] = old


def linear(i, o, bias=True):
    return nn.Linear(i, o, bias=bias, device=_DEVICE[0])


def conv(i, o, k, stride=1, padding=0):
    return nn.Conv2d(i, o, k, stride=stride, padding=padding, device=_DEVICE[0])


def group_norm(groups, c, eps):
    return nn.GroupNorm(groups, c, eps=eps, affine=True, device=_DEVICE[0])


def layer_norm(d, eps):
    return nn.LayerNorm(d, eps=eps, device=_DEVICE[0])


def merged(defaults, config):
    """A class's constructor arguments from a config.json dict: keys absent take the defaults;
    keys starting with '_' and keys the class does not take are ignored (as from_config does)."""
    out = dict(defaults)
    out.update({k: v for k, v in config.items() if k in defaults})
    return out


def device():
    """The device parameters are made on (None: the default)."""
    return _DEVICE[0]
