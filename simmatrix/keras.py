"""SimLoss as a Keras 3 loss (torch and jax backends); importing this module imports keras.

Set ``KERAS_BACKEND`` before keras is first imported. On the jax backend the loss calls
:func:`simmatrix.jax.simloss_with_integer_labels` (its exact kernel and hand-written
backward pass); on the torch backend it runs the same formula in ``keras.ops``
(:func:`_ops_simloss`, differentiated by torch), with a sparse ``S`` densified to a C×C
``log S``. Around it, Keras's conventions: labels as floats of shape (N,) or (N, 1),
``from_logits``, ``ignore_class``, the class ``axis``, ``sample_weight`` and the reductions
of :class:`keras.losses.Loss`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from .errors import SimMatrixError
from .matrix import SimilarityMatrix

__all__ = ["SimLoss"]


@keras.saving.register_keras_serializable(package="simmatrix")
class SimLoss(keras.losses.Loss):
    r"""SimLoss criterion for ``model.compile(loss=SimLoss(S))``.

    .. math:: L_i = -\log \sum_c S[y_i, c]\, p_{ic}

    A drop-in for :class:`keras.losses.SparseCategoricalCrossentropy`: the same arguments
    and conventions, plus ``S``; with ``S = I`` the two are equal.

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (n_classes, n_classes) or scipy sparse matrix
        Row = true class, column = predicted class. Stored in the loss's config (as nested
        lists, or the stored entries of a sparse S), so a model saved as ``.keras`` with
        this loss loads back with it (after ``import simmatrix.keras``).
    from_logits : bool, default False
        As in ``SparseCategoricalCrossentropy``, ``y_pred`` is taken to be **probabilities**
        unless ``from_logits=True``; probabilities are clipped at ``keras.config.epsilon()``
        (as Keras's cross-entropy does), so the loss saturates near ``-log(1e-7) = 16.1``
        for a confident wrong prediction. Prefer ``from_logits=True`` with a model that
        outputs logits: exact at any logit size, and the gradient does not vanish.
    ignore_class : int, optional
        Targets equal to it contribute nothing and are masked out of the mean.
    reduction, name, dtype
        As in :class:`keras.losses.Loss` (``"sum_over_batch_size"`` by default).
    axis : int, default -1
        The class axis of ``y_pred``; ``y_true`` has the shape of ``y_pred`` without it
        (or with it of size 1).

    Examples
    --------
    >>> import numpy as np
    >>> loss = SimLoss(np.array([[1.0, 0.5], [0.5, 1.0]]), from_logits=True)
    >>> round(float(loss(np.array([1]), np.array([[2.0, 0.0]]))), 5)  # -log(0.5 p0 + p1)
    0.58053
    """

    def __init__(self, S: Any, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: str | None = "sum_over_batch_size", axis: int = -1,
                 name: str = "simloss", dtype: Any = None) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.S = S if isinstance(S, SimilarityMatrix) else _as_matrix_values(S)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis
        self._prepared: dict[str, Any] = {}

    def call(self, y_true: Any, y_pred: Any) -> Any:
        axis = self.axis % len(y_pred.shape)
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[axis] == 1:
            y_true = ops.squeeze(y_true, axis=axis)
        z = ops.moveaxis(y_pred, axis, -1)
        batch_shape = tuple(z.shape[:-1])
        z = ops.reshape(z, (-1, z.shape[-1]))
        y = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        if not self.from_logits:  # log-probabilities are logits
            z = ops.log(ops.clip(z, keras.config.epsilon(), 1.0))
        valid = None
        if self.ignore_class is not None:
            valid = ops.not_equal(y, self.ignore_class)
            y = ops.where(valid, y, 0)
        per = self._per_example(z, y)
        if valid is not None:
            per = ops.where(valid, per, ops.zeros_like(per))
        per = ops.reshape(per, batch_shape)
        if valid is not None:
            keras.src.backend.set_keras_mask(per, mask=ops.reshape(valid, batch_shape))
        return per

    def _per_example(self, z, y):
        backend = keras.backend.backend()
        if backend == "jax":  # the jax kernel, with its hand-written backward pass
            from .jax import make_simloss

            if "jax" not in self._prepared:
                self._prepared["jax"] = make_simloss(self.S)
            return self._prepared["jax"](z, y)
        if backend != "torch":
            raise SimMatrixError(
                f"simmatrix.keras.SimLoss supports the torch and jax backends, not {backend!r};"
                " set KERAS_BACKEND=torch or KERAS_BACKEND=jax before importing keras")
        import torch

        # one table per device: Keras first calls the loss on "meta" tensors to infer shapes
        key = f"torch:{z.device}"
        if key not in self._prepared:
            if "log_S" not in self._prepared:
                self._prepared["log_S"] = _dense_log_S(self.S)
            self._prepared[key] = torch.as_tensor(self._prepared["log_S"], device=z.device)
        log_S = self._prepared[key]
        _check_labels(y, log_S.shape[0])
        return _ops_simloss(ops.cast(z, "float32"), y, log_S)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(S=_serialize_matrix(self.S), from_logits=self.from_logits,
                      ignore_class=self.ignore_class, axis=self.axis)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SimLoss:
        config = dict(config)
        config["S"] = _deserialize_matrix(config["S"])
        return cls(**config)


# -- the loss in keras.ops (every backend but jax) -------------------------------------------------
_TINY = 2.0**-60  # as simmatrix._jax_loss: below it, the shifted form of W


def _ops_simloss(z, y, log_S):
    """Per-example ``L = log1p(U / W)`` in keras.ops, as :mod:`simmatrix._jax_loss` computes it.

    ``U = Σ (1 - S[y]) e``, ``W = Σ S[y] e`` with ``e = exp(z - max z)`` (TwoSum-compensated):
    relatively exact near 0; rows where ``W`` underflows use ``log Σ e - max t - log Σ
    exp(t - max t)`` with ``t = z - max z + log S[y]`` carried exactly. The backend's autodiff
    gives ``softmax(z) - softmax(z + log S[y])`` (both branches finite, so no NaN leaks).
    """
    g = ops.take(log_S, y, axis=0)
    m = ops.stop_gradient(ops.max(z, axis=-1, keepdims=True))
    m = ops.where(ops.isfinite(m), m, ops.zeros_like(m))
    d = z - m
    lo_d = ops.stop_gradient(ops.where(d > -np.inf, _two_sum_err(z, -m, d), 0.0))
    e = ops.exp(d)
    e = e + e * lo_d
    U = ops.sum(-ops.expm1(g) * e, axis=-1)
    W = ops.sum(ops.exp(g) * e, axis=-1)
    under = W < _TINY
    fast = ops.log1p(U / ops.where(under, ops.ones_like(W), W))
    t = d + g
    lo = ops.stop_gradient(ops.where(t > -np.inf, lo_d + _two_sum_err(d, g, t), 0.0))
    shift = ops.stop_gradient(ops.max(t, axis=-1, keepdims=True))
    shift = ops.where(ops.isfinite(shift), shift, ops.zeros_like(shift))
    w = ops.exp(t - shift)
    W_shifted = ops.sum(w + w * lo, axis=-1)
    slow = (ops.log(U + W) - ops.squeeze(shift, -1)
            - ops.log(ops.where(W_shifted > 0, W_shifted, ops.ones_like(W_shifted))))
    return ops.where(under, slow, fast)


def _two_sum_err(a, b, s):
    """The rounding error of ``s = a + b`` (Knuth's TwoSum): ``a + b = s + err`` exactly."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def _check_labels(y, n_classes: int) -> None:
    """Name the first label outside ``[0, n_classes)`` (eager backends; skipped when traced)."""
    try:
        labels = np.asarray(ops.convert_to_numpy(y))
    except Exception:  # noqa: BLE001 - a traced tensor (torch.compile, tf.function): no values
        return
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if bad.size:
        more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
        raise SimMatrixError(f"labels[{bad[0]}] = {labels[bad[0]]} is outside [0, {n_classes})"
                             f", the classes of S{more}")


def _dense_log_S(S: Any) -> np.ndarray:
    """``log S`` as a dense float32 (C, C) array (``-inf`` for 0), sparse or dense ``S``."""
    from .log_similarity import LogSimilarity

    table = LogSimilarity(S.values if isinstance(S, SimilarityMatrix) else S, dtype=np.float32)
    if not table.is_sparse:
        return table.log_S
    n = table.n_classes
    out = np.full((n, n), -np.inf, dtype=np.float32)
    keep = np.isfinite(table.log_values)
    rows = np.broadcast_to(np.arange(n)[:, None], keep.shape)
    out[rows[keep], table.indices[keep]] = table.log_values[keep]
    return out


def _as_matrix_values(S: Any) -> Any:
    import scipy.sparse as sp

    if sp.issparse(S):
        return sp.csr_array(S)
    if hasattr(S, "detach"):  # torch, without importing it
        S = S.detach().cpu().numpy()
    S = np.asarray(S)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise SimMatrixError(f"S must be a square C×C matrix, got shape {S.shape}")
    return S


def _serialize_matrix(S: Any) -> dict[str, Any]:
    import scipy.sparse as sp

    classes = list(S.classes) if isinstance(S, SimilarityMatrix) else None
    values = S.values if isinstance(S, SimilarityMatrix) else S
    if sp.issparse(values):
        coo = sp.coo_array(values)
        return {"shape": list(coo.shape), "row": coo.row.tolist(), "col": coo.col.tolist(),
                "data": coo.data.tolist(), "classes": classes}
    return {"values": np.asarray(values).tolist(), "classes": classes}


def _deserialize_matrix(config: Any) -> Any:
    import scipy.sparse as sp

    if not isinstance(config, dict):  # a plain nested list
        return np.asarray(config)
    if "values" in config:
        values = np.asarray(config["values"])
    else:
        values = sp.csr_array((config["data"], (config["row"], config["col"])),
                              shape=tuple(config["shape"]))
    classes = config.get("classes")
    return values if classes is None else SimilarityMatrix(values, classes)
