"""WordNet glosses as class descriptions: the text a sentence model embeds for a class.

A sentence-embedding model reads an ambiguous name in the word's dominant meaning: among
CIFAR-100's names, ``mouse`` alone is nearest to ``keyboard`` and ``seal`` to ``sea``.
Resolving the class list to synsets first, with the senses chosen from the whole list
(:func:`~simmatrix.sources.wordnet.resolve.resolve_classes`), and embedding each class as
``"name: gloss"`` gives the model the meaning the dataset has in mind:

    mouse: any of numerous small rodents typically resembling diminutive rats ...

``name`` is the class name with ``_`` read as a space; for a class given as a wnid or a
synset name (``n01440764``, ``rose.n.01``) it is the synset's head word (``tench``,
``rose``), since the identifier itself means nothing to the model. The gloss is WordNet's
definition (nltk's ``Synset.definition()``). The form was chosen by measurement on
CIFAR-100 (``benchmarks/text_glosses.py``): with it, a class's nearest other class shares
its CIFAR-100 superclass for 71-73 of the 100 classes, against 56 for the name alone and
68-70 for the gloss alone (``name, gloss`` is as good, within the noise).

:func:`simmatrix.sources.text.write_descriptions` writes the result as the file that
:func:`simmatrix.sources.text.read_descriptions` (and ``build text``) reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .resolve import _SYNSET, _WNID, DEFAULT_SENSES, Resolved, resolve_classes


def gloss_text(resolved: Resolved) -> str:
    """The description of one resolved class: ``"name: gloss"``.

    The gloss is WordNet's as nltk's ``Synset.definition()`` gives it; the name is the
    class's with ``_`` and runs of spaces read as one space, or the synset's head word for
    a class given as a wnid or synset name.

    Parameters
    ----------
    resolved : Resolved
        One element of :func:`~simmatrix.sources.wordnet.resolve.resolve_classes`.

    Returns
    -------
    str

    Examples
    --------
    >>> from simmatrix.sources.wordnet.resolve import Resolved
    >>> gloss_text(Resolved("maple_tree", "n", 0, "maple.n.02", "any of numerous trees "
    ...                     "or shrubs of the genus Acer", "mapping:synset"))
    'maple tree: any of numerous trees or shrubs of the genus Acer'
    >>> gloss_text(Resolved("n01440764", "n", 0, "tench.n.01", "freshwater dace-like game "
    ...                     "fish of Europe and western Asia", "wnid"))
    'tench: freshwater dace-like game fish of Europe and western Asia'
    """
    cls = resolved.cls.strip()
    is_id = _WNID.match(cls) or _SYNSET.match(cls.lower())
    name = resolved.synset.rsplit(".", 2)[0] if is_id else cls
    name = " ".join(name.replace("_", " ").split())
    gloss = resolved.gloss.strip()
    return f"{name}: {gloss}" if gloss else name


def resolved_descriptions(resolved: Sequence[Resolved]) -> dict[str, str]:
    """:func:`gloss_descriptions` for classes already resolved (``resolve_classes``)."""
    return {r.cls: gloss_text(r) for r in resolved}


def gloss_descriptions(
    classes: Iterable[str], graph=None, *, mapping: Mapping[str, str] | None = None,
    senses: str = DEFAULT_SENSES,
) -> dict[str, str]:
    """A description per class from the WordNet gloss of the synset it resolves to.

    Parameters
    ----------
    classes : iterable of str, length n_classes
        Names, wnids or synset names, resolved as the WordNet builder does.
    graph : WordNetGraph, optional
        From :func:`simmatrix.sources.wordnet.graph.load_graph` (loaded when omitted).
    mapping : mapping of str to str, optional
        Per-class overrides: ``{"mouse": "mouse.n.04"}``; every key must be a class.
    senses : {"context", "first"}
        How a plain name with several noun senses is resolved (see
        :func:`~simmatrix.sources.wordnet.resolve.resolve_classes`): ``"context"`` picks
        the sense that fits the other classes, which is what the description should mean.

    Returns
    -------
    dict of str to str, length n_classes
        class → ``"name: gloss"`` (:func:`gloss_text`), in the order of ``classes``; what
        :func:`simmatrix.builders.text.text_matrix` takes as ``descriptions``.

    Examples
    --------
    >>> d = gloss_descriptions(["tiger", "lion", "leopard"], senses="context")
    >>> d["tiger"].split(";")[0]  # tiger.n.02; the first sense is "a fierce person"
    'tiger: large feline of forests in most of Asia having a tawny coat with black stripes'
    """
    return resolved_descriptions(resolve_classes(list(classes), graph, mapping=mapping,
                                                 senses=senses))
