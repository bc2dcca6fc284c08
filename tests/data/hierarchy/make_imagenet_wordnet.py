"""Regenerate the ImageNet-1k WordNet hierarchy files in this folder (run once; committed).

Reads WordNet 3.0's ``data.noun`` (Debian's ``wordnet-base``: /usr/share/wordnet) and the
ILSVRC-2012 class index, follows every hypernym (``@``) and instance-hypernym (``@i``)
pointer up from the 1,000 class synsets, and writes:

- ``imagenet_wordnet_dag.tsv``: ``parent<TAB>child`` wnids, every hypernym (a DAG);
- ``imagenet_wordnet_tree.tsv``: only each synset's first-listed hypernym (a tree);
- ``imagenet_wnids.txt``: the 1,000 class wnids in class-index order.

Usage: python make_imagenet_wordnet.py [/usr/share/wordnet/data.noun] [imagenet_class_index.json]
"""

import json
import sys
from pathlib import Path


def hypernyms(data_noun: Path) -> dict[str, list[str]]:
    out = {}
    with open(data_noun, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(" "):
                continue  # licence header
            f = line.split(" | ")[0].split()
            n_words = int(f[3], 16)
            i = 4 + 2 * n_words
            n_ptrs = int(f[i])
            ptrs = [f[i + 1 + 4 * k: i + 5 + 4 * k] for k in range(n_ptrs)]
            out["n" + f[0]] = ["n" + p[1] for p in ptrs if p[0] in ("@", "@i") and p[2] == "n"]
    return out


def main() -> None:
    here = Path(__file__).parent
    data_noun = Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet/data.noun")
    index = Path(sys.argv[2] if len(sys.argv) > 2 else
                 "/work/shared/data/imagenet_class_index.json")
    hyp = hypernyms(data_noun)
    idx = json.loads(index.read_text())
    wnids = [idx[str(i)][0] for i in range(len(idx))]
    for name, first_only in (("imagenet_wordnet_dag.tsv", False),
                             ("imagenet_wordnet_tree.tsv", True)):
        edges, seen, todo = [], set(), list(wnids)
        while todo:
            child = todo.pop()
            if child in seen:
                continue
            seen.add(child)
            parents = hyp[child][:1] if first_only else hyp[child]
            for p in parents:
                edges.append((p, child))
                todo.append(p)
        edges.sort()
        lines = ["parent\tchild"] + [f"{p}\t{c}" for p, c in edges]
        (here / name).write_text("\n".join(lines) + "\n")
    (here / "imagenet_wnids.txt").write_text("\n".join(wnids) + "\n")


if __name__ == "__main__":
    main()
