"""What the loss code needs from an array library beyond the array API standard.

Which framework a namespace is (by name, without importing it), conversion to numpy, the
device of an array, and ``log_softmax``/``logsumexp``: the native ones of torch and jax,
``scipy.special``'s for numpy, and a max-shifted one for any other namespace.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def log_softmax(xp: Any, z: Any) -> Any:
    """``z - LSE(z)`` along the last axis: torch's, jax's or scipy's own; max-shifted elsewhere."""
    if _is_torch(xp):
        import torch

        return torch.log_softmax(z, dim=-1)
    if _is_jax(xp):
        import jax

        return jax.nn.log_softmax(z, axis=-1)
    if _is_numpy(xp):
        from scipy import special

        return special.log_softmax(z, axis=-1)
    m = xp.max(z, axis=-1, keepdims=True)
    z = z - xp.where(xp.isfinite(m), m, xp.zeros_like(m))  # exact: no 1e4 + log 2 rounding
    return z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))


def logsumexp(xp: Any, x: Any, axis: int) -> Any:
    """``log Σ exp(x)`` along ``axis``: torch's, jax's or scipy's own; max-shifted elsewhere."""
    if _is_torch(xp):
        import torch

        return torch.logsumexp(x, dim=axis)
    if _is_jax(xp):
        import jax

        return jax.nn.logsumexp(x, axis=axis)
    if _is_numpy(xp):
        from scipy import special

        return special.logsumexp(x, axis=axis)
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
    return xp.squeeze(out, axis=axis)


def zero_columns(xp: Any, x: Any, cols: Any) -> Any:
    """A copy of (M, C) ``x`` with the entries ``x[i, cols[i, j]]`` set to 0.

    The array API has no scatter: torch's ``scatter``, jax's ``.at[].set`` and numpy's
    ``put_along_axis``; elsewhere a comparison against every column (M×k×C booleans).
    """
    if _is_torch(xp):
        return x.scatter(1, cols, 0.0)
    if _is_jax(xp):
        rows = xp.arange(x.shape[0])[:, None]
        return x.at[rows, cols].set(0.0)
    if _is_numpy(xp):
        out = np.array(x, copy=True)
        np.put_along_axis(out, np.asarray(cols), 0.0, axis=1)
        return xp.asarray(out)
    c = xp.arange(x.shape[1], device=_device(x))
    held = xp.any(cols[:, :, None] == c[None, None, :], axis=1)
    return xp.where(held, xp.zeros_like(x), x)


def _stop_gradient(xp: Any, x: Any) -> Any:
    """``x`` as a constant for autodiff (torch ``detach``, jax ``stop_gradient``)."""
    if _is_torch(xp):
        return x.detach()
    if _is_jax(xp):
        import jax

        return jax.lax.stop_gradient(x)
    return x


def _is_concrete(xp: Any, x: Any) -> bool:
    """Whether ``x`` holds values Python may look at: not traced by jit, compile or vmap."""
    if _is_torch(xp):
        import torch

        return not (torch.compiler.is_compiling()
                    or torch._C._functorch.is_functorch_wrapped_tensor(x))
    if _is_jax(xp):
        import jax

        return not isinstance(x, jax.core.Tracer)
    return True


def _is_torch(xp) -> bool:
    # by name, not array_api_compat.is_torch_namespace: its lru_cache makes dynamo warn
    return getattr(xp, "__name__", "") in ("array_api_compat.torch", "torch")


def _is_jax(xp) -> bool:
    return getattr(xp, "__name__", "") == "jax.numpy"


def _is_numpy(xp) -> bool:
    return getattr(xp, "__name__", "") in ("array_api_compat.numpy", "numpy")


def _like(xp, x, ref):
    """``x`` in namespace ``xp`` on the device of ``ref`` (no copy when it already is)."""
    from array_api_compat import array_namespace, is_array_api_obj

    if is_array_api_obj(x) and array_namespace(x) is xp:
        return x
    return xp.asarray(_to_numpy(x), device=_device(ref))


def _device(x):
    from array_api_compat import device

    return device(x)


def _to_numpy(x):
    if hasattr(x, "detach"):  # torch, without importing it
        x = x.detach().cpu()
    return np.asarray(x)
