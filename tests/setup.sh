#!/usr/bin/env bash
# Everything the test suite needs on a fresh machine; the README's test command is
#   bash tests/setup.sh && python3 -m pytest -n 2
# and .ci/run runs exactly that line. The suite itself installs WordNet for nltk into a
# temporary folder (tests/conftest.py), so nothing here touches ~/nltk_data or ~/.cache.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3  # the interpreter the README's test command runs pytest with

# WordNet 3.0 comes from Debian's packages (nltk's downloader needs the internet);
# chromium and its driver open the HTML report in tests/test_report.py (via selenium).
APT_PACKAGES="wordnet-base wordnet-sense-index chromium chromium-driver"
if command -v apt-get >/dev/null && ! dpkg -s $APT_PACKAGES >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT_PACKAGES
fi

# torch pinned in the same call as everything else: the CPU build. An unpinned "torch",
# asked for directly or by another package (sentence-transformers, keras), pulls a
# multi-GB CUDA build.
"$PY" -m pip install -q "torch==2.13.0" -e ".[dev]"
# dlordinal (the reference for the ordinal soft labels) declares torchvision and
# scikit-image, which its soft-label code never imports; torchvision would replace the CPU
# torch. Install it alone, without them.
"$PY" -m pip install -q --no-deps "dlordinal==2.7.0"
"$PY" -m pip install -q "deprecated>=1.2"
