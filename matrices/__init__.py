"""Ready-made similarity matrices, shipped as package data; see README.md and index.json."""
