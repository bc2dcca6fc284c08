"""Array backends for the loss and metric tests: numpy, torch and jax, same calls."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

NAMES = ("numpy", "torch", "jax")


class Backend:
    def __init__(self, name: str) -> None:
        self.name = name
        if name == "torch":
            self.torch = importlib.import_module("torch")
        if name == "jax":
            self.jnp = importlib.import_module("jax.numpy")

    def array(self, x, dtype=None):
        x = np.asarray(x)
        if dtype is not None:
            x = x.astype(dtype)
        if self.name == "torch":
            return self.torch.from_numpy(np.ascontiguousarray(x))
        if self.name == "jax":
            return self.jnp.asarray(x)
        return x

    @staticmethod
    def numpy(x) -> np.ndarray:
        if hasattr(x, "detach"):
            x = x.detach().cpu()
        return np.asarray(x)


def backend_fixture():
    @pytest.fixture(params=NAMES)
    def backend(request):
        pytest.importorskip("jax" if request.param == "jax" else request.param)
        return Backend(request.param)

    return backend
