"""SimLoss as a ``torch.nn.Module``, a drop-in for ``torch.nn.CrossEntropyLoss``.

Importing this module imports torch. ``log S`` is a buffer, so ``loss.to(device)``,
``state_dict()``, ``torch.save``, ``copy.deepcopy`` and ``AveragedModel`` carry it;
``forward`` calls the same code as :func:`simmatrix.simloss`, whose torch kernel is an
autograd function with ``setup_context`` (:mod:`simmatrix._torch_loss`), so
``torch.func.grad``/``vmap`` and ``torch.compile(fullgraph=True)`` work.
"""

from __future__ import annotations

import os
from typing import Any

import array_api_compat.torch as _xp
import numpy as np
import torch

from .log_similarity import LogSimilarity, Tables
from .loss import check_options, simloss_arrays


class SimLoss(torch.nn.Module):
    r"""SimLoss criterion with the signature of ``torch.nn.CrossEntropyLoss``.

    .. math:: L_i = -\log \sum_c S[y_i, c]\, \mathrm{softmax}(z_i)_c

    ``SimLoss(S)(input, target)`` takes ``input`` of shape (N, C) or (N, C, d1, ...) and
    class-index ``target`` of shape (N,) or (N, d1, ...), and returns what
    ``CrossEntropyLoss`` returns (with ``S = I``, the same numbers).

    Parameters
    ----------
    S : SimilarityMatrix, array (C, C), scipy sparse, LogSimilarity, or str / path
        Row = true class, column = predicted class. A string or path is a matrix file or
        a catalogue name (``"cifar100-wordnet-wup"``), loaded with :func:`simmatrix.load`.
        Dense: the (C, C) buffer ``log_S``; sparse (top-k): the (C, k) buffers ``indices``
        and ``log_values``, and no dense N×C slice of S is ever gathered.
    weight : tensor of shape (C,), optional
        Per-class weights, exactly as ``CrossEntropyLoss``'s (a buffer ``weight``).
    ignore_index : int
        Targets with this value contribute 0 and do not count in the mean.
    reduction : {"mean", "sum", "none"}
    label_smoothing : float in [0, 1]
        ``(1 - ε) · SimLoss + ε/C · Σ_c w_c (-log p_c)``: torch's definition, applied to
        the S-smoothed target.
    classes : sequence of str, optional
        The class order of your data (``dataset.classes``): ``S`` (with class names) is
        re-ordered to it; names ``S`` lacks are an error listing them.
    from_logits, eps
        As in :func:`simmatrix.simloss`.
    dtype : torch.dtype
        Of the ``log S`` buffer (float32: ``log`` of any similarity is a float32 number).
        Float32 and half-precision logits read it as it is; float64 logits get a cast copy
        per call, so pass ``dtype=torch.float64`` to train in float64.

    Examples
    --------
    >>> import torch
    >>> crit = SimLoss(torch.eye(3).numpy())
    >>> z, y = torch.zeros(2, 3), torch.tensor([0, 2])
    >>> round(float(crit(z, y)), 4)  # log 3
    1.0986
    >>> sorted(crit.state_dict())
    ['log_S']
    """

    def __init__(self, S: Any, weight: Any = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0,
                 classes: Any = None, from_logits: bool = True, eps: float = 1e-8,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        check_options(reduction, label_smoothing)
        tables = _buffers(S, classes, dtype)
        self._names = tuple(n for n in Tables._fields if getattr(tables, n) is not None)
        for name in self._names:
            self.register_buffer(name, getattr(tables, name))
        if weight is not None:
            weight = torch.as_tensor(weight, dtype=dtype).detach().clone()
            n = tables.n_classes
            if weight.shape != (n,):
                from .errors import SimMatrixError

                raise SimMatrixError(f"weight must have shape ({n},) for the {n} classes of S,"
                                     f" got {tuple(weight.shape)}")
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = float(label_smoothing)
        self.from_logits, self.eps = from_logits, eps

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: A002
        tables = Tables(**{name: getattr(self, name) for name in self._names})
        return simloss_arrays(_xp, input, target, tables, weight=self.weight,
                              ignore_index=self.ignore_index, reduction=self.reduction,
                              label_smoothing=self.label_smoothing,
                              from_logits=self.from_logits, eps=self.eps)

    def extra_repr(self) -> str:
        if "indices" in self._names:
            n, kind = self.indices.shape[0], f"top-{self.indices.shape[1]} sparse"
        else:
            n, kind = self.log_S.shape[0], "dense"
        return (f"{n} classes, {kind}, reduction={self.reduction!r}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}")


def _buffers(S: Any, classes: Any, dtype: torch.dtype) -> Tables:
    """The :class:`Tables` as CPU tensors the module owns, without a second C×C copy."""
    if isinstance(S, (str, os.PathLike)):
        from .io import load

        S = load(S)
    np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
    owned = not isinstance(S, LogSimilarity)
    table = LogSimilarity(S, classes, dtype=np_dtype) if owned else S
    out = {}
    for name in Tables._fields:
        value = getattr(table, name)
        if value is None:
            continue
        kind = torch.int64 if name == "indices" else dtype
        t = torch.from_numpy(np.ascontiguousarray(value)) if owned else torch.as_tensor(value)
        t = t.to(kind)
        # a LogSimilarity of the caller's stays theirs: load_state_dict writes in place
        out[name] = t.clone() if not owned and np.shares_memory(t.numpy(), value) else t
    return Tables(**out)
