"""SimLoss as a ``torch.nn.Module``; importing this module imports torch.

``S`` is registered as a buffer, so ``loss.to(device)`` and ``state_dict()`` carry it, and
``forward`` calls the same array-API code as :func:`simmatrix.simloss` with the namespace
resolved once, so ``torch.compile(fullgraph=True)`` traces it without a graph break.
"""

from __future__ import annotations

from typing import Any

import torch
from array_api_compat import array_namespace

from .log_similarity import LogSimilarity, Tables
from .loss import simloss_arrays


class SimLoss(torch.nn.Module):
    r"""SimLoss criterion: ``SimLoss(S)(logits, targets)``.

    .. math:: L_i = \mathrm{LSE}(z_i) - \mathrm{LSE}(z_i + \log S[y_i])

    Parameters
    ----------
    S : SimilarityMatrix, array of shape (n_classes, n_classes), scipy sparse or LogSimilarity
        Row = true class, column = predicted class. Dense: the buffer ``S``; sparse (top-k):
        the (n_classes, k) buffers ``indices`` and ``log_values``, and no dense B×C slice
        of S is ever gathered.
    reduction, weights, ignore_index, from_logits, eps
        As in :func:`simmatrix.simloss`; ``weights`` (per class) becomes a buffer too.
    dtype : torch.dtype
        Dtype of the buffers (logits of another dtype get a cast copy per call).

    Examples
    --------
    >>> import torch
    >>> crit = SimLoss(torch.eye(3).numpy())
    >>> z, y = torch.zeros(2, 3), torch.tensor([0, 2])
    >>> round(float(crit(z, y)), 4)  # log 3
    1.0986
    """

    def __init__(self, S: Any, *, reduction: str = "mean", weights: Any = None,
                 ignore_index: int | None = None, from_logits: bool = True,
                 eps: float = 1e-8, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        table = S if isinstance(S, LogSimilarity) else LogSimilarity(S)
        self._xp = array_namespace(torch.zeros(0))
        tables = table.arrays(self._xp, torch.device("cpu"), dtype)
        # dense: the buffer "S"; top-k: "indices" and "log_values"
        self._names = tuple(n for n in Tables._fields if getattr(tables, n) is not None)
        for name in self._names:
            self.register_buffer(name, getattr(tables, name).clone())
        if weights is not None:
            weights = torch.as_tensor(weights, dtype=dtype)
        self.register_buffer("weights", weights)
        self.reduction, self.ignore_index = reduction, ignore_index
        self.from_logits, self.eps = from_logits, eps

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        tables = Tables(**{name: getattr(self, name) for name in self._names})
        return simloss_arrays(self._xp, logits, targets, tables, reduction=self.reduction,
                              weights=self.weights, ignore_index=self.ignore_index,
                              from_logits=self.from_logits, eps=self.eps)

    def extra_repr(self) -> str:
        sparse = "indices" in self._names
        n = (self.indices if sparse else self.S).shape[0]
        kind = f"top-{self.indices.shape[1]} sparse" if sparse else "dense"
        return f"{n} classes, {kind}, reduction={self.reduction!r}"
