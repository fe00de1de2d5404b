"""Helpers that the tests and the benchmarks share: digits drawn as strokes, a synthetic MNIST,
a driven Chromium, the WebSocket client that speaks Streamlit's protocol, and the like.

Needs the dev requirements (requirements-dev.txt). No app package imports it (pyproject.toml's
import-linter contracts), and neither tests/ nor bench/ is imported by anything but pytest and
``python -m bench``.
"""
