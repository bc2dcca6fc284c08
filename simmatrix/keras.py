"""SimLoss as a Keras 3 loss (torch and jax backends); importing this module imports keras.

Set ``KERAS_BACKEND`` before keras is first imported. The maths is not repeated here: on the
jax backend the loss calls :func:`simmatrix.jax.simloss_with_integer_labels`, on the torch
backend :func:`simmatrix.simloss`; this module only adapts Keras's conventions (labels as
floats of shape (N,) or (N, 1), ``from_logits``, ``ignore_class``, the class ``axis``,
``sample_weight`` and the reductions of :class:`keras.losses.Loss`).
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
        if backend == "jax":
            from .jax import make_simloss

            if "jax" not in self._prepared:
                self._prepared["jax"] = make_simloss(self.S)
            return self._prepared["jax"](z, y)
        if backend == "torch":
            from .log_similarity import LogSimilarity
            from .loss import simloss

            if "torch" not in self._prepared:
                self._prepared["torch"] = LogSimilarity(self.S)
            return simloss(z, ops.cast(y, "int64"), self._prepared["torch"], reduction="none")
        raise SimMatrixError(
            f"simmatrix.keras.SimLoss supports the torch and jax backends, not {backend!r}; "
            "set KERAS_BACKEND=torch or KERAS_BACKEND=jax before importing keras")

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
