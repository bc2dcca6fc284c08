"""SimLoss as pure jax functions for optax-style training loops; imports jax.

:func:`simloss_with_integer_labels` mirrors ``optax.softmax_cross_entropy_with_integer_labels``:
per-example losses, no reduction, a pure function of arrays (so ``jax.jit``, ``jax.grad`` and
``jax.vmap`` apply). :func:`make_simloss` closes over a prepared ``log S``.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
from array_api_compat import array_namespace

from .log_similarity import LogSimilarity, Tables
from .loss import simloss_arrays


def simloss_with_integer_labels(logits: Any, labels: Any, log_S: Any) -> Any:
    r"""Per-example SimLoss from logits and integer labels, given a dense ``log S``.

    .. math:: L_i = \mathrm{LSE}(z_i) - \mathrm{LSE}(z_i + \log S[y_i])

    Parameters
    ----------
    logits : jax array of shape (n_samples, n_classes)
    labels : integer jax array of shape (n_samples,)
    log_S : jax array of shape (n_classes, n_classes)
        ``log S`` with ``-inf`` for zero similarity (``LogSimilarity(S).log_S``).

    Returns
    -------
    jax array of shape (n_samples,)

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> log_S = jnp.log(jnp.eye(2))  # S = I: cross-entropy
    >>> round(float(simloss_with_integer_labels(jnp.zeros((1, 2)), jnp.array([0]), log_S)[0]), 6)
    0.693147
    """
    xp = array_namespace(logits)
    return simloss_arrays(xp, logits, labels, Tables(log_S=log_S), reduction="none")


def make_simloss(S: Any, *, dtype: Any = jnp.float32):
    """A function ``loss(logits, labels) -> (n_samples,)`` with ``log S`` captured once.

    ``S`` may be a SimilarityMatrix, an array, a scipy sparse (top-k) matrix or a
    :class:`~simmatrix.LogSimilarity`. Reduce with ``.mean()`` as with optax losses.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, numpy as np
    >>> loss = jax.jit(make_simloss(np.eye(3)))
    >>> loss(jnp.zeros((2, 3)), jnp.array([0, 1])).shape
    (2,)
    """
    table = S if isinstance(S, LogSimilarity) else LogSimilarity(S)
    xp = array_namespace(jnp.zeros(0))
    tables = table.arrays(xp, None, dtype)

    def loss(logits: Any, labels: Any) -> Any:
        return simloss_arrays(xp, logits, labels, tables, reduction="none")

    return loss
