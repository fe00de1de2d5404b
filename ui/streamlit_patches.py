"""Where Streamlit itself costs a stroke more than it needs to, and what we do about it.

Every script run, a fragment's too, begins with a ``new_session`` message that carries the
page's theme. Streamlit builds it by calling ``config.get_options_for_section`` six times (once
per theme section), and each call walks every one of Streamlit's ~200 config options and reads
its value: about a tenth of the CPU a stroke costs the server (py-spy on bench/wsload.py).
This server's config does not change while it runs (``fileWatcherType = "none"``, no
``set_option`` for the theme), so the options of a section are read once and kept, until
Streamlit parses its config again (a new options dict).

A fragment's rerun starts with a deep copy of the containers it sits in (see ``_dg_deepcopy``).

Every text element (``st.html``, ``st.markdown``, ``st.metric``, ...) passes its text through
``textwrap.dedent``, a regular-expression pass over all of it: a stroke's ``st.html`` carries
kilobytes of inline images (ui/inline.py). Text of one line needs no dedent (see ``_clean_text``).
tests/test_streamlit_patches.py checks each against Streamlit's own functions.
"""

from __future__ import annotations

import functools
import os
import sys
from copy import deepcopy

from streamlit import config, string_util
from streamlit.delta_generator import DeltaGenerator

_original = config.get_options_for_section


@functools.wraps(_original)
def _options_for_section(section: str) -> dict:
    parsed, cached = _cache.get(section, (None, None))
    if cached is None or parsed is not config._config_options:
        cached = _original(section)
        _cache[section] = (config._config_options, cached)
    return dict(cached)  # a copy: a caller may change what it gets


_cache: dict[str, tuple[object, dict]] = {}  # section -> (the parsed options it was read from, its values)


PATCHES = ("config", "deepcopy", "clean_text")
# Which patches a server installs: all by default; bench/patches.py sets it to measure each one's gain.
PATCHES_ENV = "DIGIT_STUDIO_STREAMLIT_PATCHES"


def install(names: tuple[str, ...] | None = None) -> None:
    """Read each config section once per parsed config; copy a fragment's containers once each;
    dedent only text of several lines (idempotent). ``names``: only these (default: $PATCHES_ENV,
    comma-separated, else all)."""
    if names is None:
        chosen = os.environ.get(PATCHES_ENV)
        names = PATCHES if chosen is None else tuple(n.strip() for n in chosen.split(",") if n.strip())
    if "config" in names and config.get_options_for_section is not _options_for_section:
        config.get_options_for_section = _options_for_section
    if "deepcopy" in names and DeltaGenerator.__deepcopy__ is not _dg_deepcopy:
        DeltaGenerator.__deepcopy__ = _dg_deepcopy
    # Streamlit's element modules import the function by name: replace it where they hold it.
    for name, module in list(sys.modules.items()) if "clean_text" in names else ():
        if name.startswith("streamlit.") and getattr(module, "clean_text", None) is _original_clean_text:
            module.clean_text = _clean_text


_original_clean_text = string_util.clean_text


@functools.wraps(_original_clean_text)
def _clean_text(text) -> str:
    """``string_util.clean_text`` (``textwrap.dedent(str(text)).strip()``), without the dedent
    for a string of one line: there ``dedent`` only removes the line's leading spaces and tabs,
    which ``strip`` removes too, so the result is the same string."""
    if type(text) is str and "\n" not in text:
        return text.strip()
    return _original_clean_text(text)


_original_deepcopy = DeltaGenerator.__deepcopy__


def _dg_deepcopy(self: DeltaGenerator, memo: dict) -> DeltaGenerator:
    """``DeltaGenerator.__deepcopy__`` as Streamlit writes it, but with the memo passed on.

    Streamlit copies a fragment's stack of containers at every rerun of the fragment. Its own
    ``__deepcopy__`` ignores the memo, so each container in the stack copies all of its ancestors
    again: for the Draw tab's inner fragment (ui/draw.py), eight levels deep, that was a tenth of a
    stroke's time. With the memo, each container is copied once and the copies share their
    ancestors, as the originals do."""
    if id(self) in memo:
        return memo[id(self)]
    dg = DeltaGenerator(
        root_container=self._root_container,
        cursor=deepcopy(self._cursor, memo),
        parent=deepcopy(self._parent, memo),
        block_type=self._block_type,
    )
    dg._form_data = deepcopy(self._form_data, memo)
    dg._creating_fragment_id = self._creating_fragment_id
    memo[id(self)] = dg
    return dg
