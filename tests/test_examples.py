"""Every worked example in examples/ runs (with --fast) and prints its table, so none rots.

Each runs as a user would run it: a fresh interpreter (``sys.executable``), from an empty
working directory, which must stay empty (examples write no files unless asked).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# script -> the modules it needs (beyond numpy and scikit-learn)
NEEDS = {"digits_confusion.py": ["torch"], "ordinal_sweep.py": ["torch"],
         "jax_optax.py": ["jax", "optax"], "numpy_train.py": [],
         "boosting.py": ["xgboost", "lightgbm"]}

# script -> text its table must contain
EXPECTED = {
    "digits_confusion.py": ["accuracy", "mistake severity", "cross-entropy", "SimLoss",
                            "SimLoss - CE"],
    "ordinal_sweep.py": ["accuracy", "MAE", "MSE", " 0.0 ", " 0.9 "],
    "jax_optax.py": ["jax + optax", "accuracy", "mistake severity", "cross-entropy", "SimLoss"],
    "numpy_train.py": ["numpy softmax regression", "accuracy", "cross-entropy", "SimLoss"],
    "boosting.py": ["XGBoost", "LightGBM", "SimLossClassifier", "softmax (built-in)",
                    "SimLoss, r = 0.9", "accuracy", "MAE", "expected sim."],
}


def test_every_example_is_tested():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED) == sorted(NEEDS)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_fast(script, tmp_path):
    for module in ("sklearn", *NEEDS[script]):
        pytest.importorskip(module)
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), "--fast"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for text in EXPECTED[script]:
        assert text in proc.stdout, f"{text!r} missing from the output of {script}:\n" \
                                    f"{proc.stdout}"
    numbers = [tok for tok in proc.stdout.split() if tok.replace(".", "", 1).isdigit()]
    assert len(numbers) >= 4, proc.stdout  # the table holds numbers, not just headers
    assert "nan" not in proc.stdout.lower(), proc.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written
