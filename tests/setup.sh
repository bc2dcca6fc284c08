#!/usr/bin/env bash
# Everything the test suite needs on a fresh machine; the README's test command is
#   bash tests/setup.sh && python3 -m pytest -n 2
# and .ci/run runs exactly that line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3  # the interpreter the README's test command runs pytest with

# WordNet 3.0 comes from Debian's packages (nltk's downloader needs the internet).
if command -v apt-get >/dev/null && ! dpkg -s wordnet-base wordnet-sense-index >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wordnet-base wordnet-sense-index
fi

# torch first and pinned: the CPU build; an unpinned "torch" pulls a multi-GB CUDA build.
"$PY" -m pip install -q "torch==2.13.0"
"$PY" -m pip install -q -e ".[dev]"

# Install WordNet 3.0 where nltk finds it, from the Debian folder (offline, idempotent).
"$PY" -m simmatrix data wordnet
