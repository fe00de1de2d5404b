"""Where Streamlit itself costs a stroke more than it needs to, and what we do about it.

Every script run, a fragment's too, begins with a ``new_session`` message that carries the
page's theme. Streamlit builds it by calling ``config.get_options_for_section`` six times (once
per theme section), and each call walks every one of Streamlit's ~200 config options and reads
its value: about a tenth of the CPU a stroke costs the server (py-spy on bench/wsload.py).
This server's config does not change while it runs (``fileWatcherType = "none"``, no
``set_option`` for the theme), so the options of a section are read once and kept, until
Streamlit parses its config again (a new options dict).
"""

from __future__ import annotations

import functools

from streamlit import config

_original = config.get_options_for_section


@functools.wraps(_original)
def _options_for_section(section: str) -> dict:
    parsed, cached = _cache.get(section, (None, None))
    if cached is None or parsed is not config._config_options:
        cached = _original(section)
        _cache[section] = (config._config_options, cached)
    return dict(cached)  # a copy: a caller may change what it gets


_cache: dict[str, tuple[object, dict]] = {}  # section -> (the parsed options it was read from, its values)


def install() -> None:
    """Read each config section once per parsed config (idempotent)."""
    if config.get_options_for_section is not _options_for_section:
        config.get_options_for_section = _options_for_section
