"""Serve the app with its warm-up started with the server: ``python -m ui.serve [streamlit options]``.

``streamlit run app.py`` runs no code of ours until the first browser connects, so the first
visitors would wait while MNIST is loaded and framed. This starts the same warm-up
(``ui.shared.warm_up``) in a background thread, then hands the process to Streamlit's own
command line with ``run app.py`` and the options given here (``--server.port 8501`` ...).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ui import shared

APP = Path(__file__).resolve().parents[1] / "app.py"


def main(argv: list[str]) -> int:
    from streamlit.web import cli

    shared.warm_up(force=True)
    sys.argv = ["streamlit", "run", str(APP), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
