"""Repository-wide pytest setup, loaded for ``tests/`` and for the doctests of ``simmatrix/``.

Keras picks its backend at first import and defaults to tensorflow, which simmatrix does not
use: collecting ``simmatrix/keras.py`` needs a backend chosen before that. An explicit
``KERAS_BACKEND`` (tests/test_keras.py runs both torch and jax in subprocesses) wins.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
