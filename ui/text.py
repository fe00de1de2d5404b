"""User text shown as plain text: run names, link notes, file names, model metadata, error messages.

Everything a participant typed or uploaded goes through one of these before it is shown:
``clean`` for places that show text literally (select options, table cells), ``md`` where
Streamlit renders Markdown (headers, captions, alerts, tooltips: Markdown, HTML, KaTeX and
Streamlit's ``:color[...]`` and ``:emoji:`` directives), ``chart`` for matplotlib (mathtext).
``public`` (and ``message``, for alerts) drops server paths and database URLs from error
messages. No streamlit import here: the plot builders use it too.
"""

from __future__ import annotations

import re
import string
import unicodedata

from store.room import cut, joins_emoji

MAX_LEN = 80  # characters of user text shown in one place (a run name is cut to 40 when typed)
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")  # sqlite:///..., postgresql://user:pw@host/db
_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:)?[\\/](?:[^\s\\/'\"]+[\\/])+([^\s\\/'\"]*)")
_AUTOLINK = re.compile(r"(?i)(:)(?=\\/\\/)|(www)(?=\\\.)|(\\@)")  # GFM turns these into links even escaped
_BREAK = "\u200b"  # a zero-width space (never in cleaned text) keeps the text as it reads, but no link
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}  # controls, bidi overrides, zero-width, surrogates, private use
# Combining marks kept on one character: Vietnamese, Thai or Devanagari need two or three; "Zalgo"
# text stacks dozens, which draw over the lines above and below it on the projector.
MAX_MARKS = 3


def clean(text, limit: int = MAX_LEN) -> str:
    """One line of printable text: control and format characters removed (but the joiners inside
    emoji), whitespace runs made one space, cut to ``limit`` characters where a character starts
    as a person sees it (an ellipsis marks the cut)."""
    text = "".join(" " if ch in "\t\n\r\v\f" else ch for ch in str(text))
    text = "".join(ch for i, ch in enumerate(text) if unicodedata.category(ch) not in _DROPPED or joins_emoji(text, i))
    text = _few_marks(" ".join(text.split()))
    return text if len(text) <= limit else cut(text, limit - 1).rstrip() + "…"


def _few_marks(text: str) -> str:
    """At most MAX_MARKS combining marks after each character; the rest dropped."""
    out, marks = [], 0
    for ch in text:
        marks = marks + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        if marks <= MAX_MARKS:
            out.append(ch)
    return "".join(out)


def md(text, limit: int = MAX_LEN) -> str:
    """``clean`` text made inert inside Streamlit Markdown: every ASCII punctuation character is
    backslash-escaped, so no link, image, emphasis, HTML, ``$`` maths or ``:directive:`` survives."""
    escaped = _PUNCT.sub(r"\\\1", clean(text, limit))
    return _AUTOLINK.sub(lambda m: m.group(0) + _BREAK, escaped)


def chart(text, limit: int = MAX_LEN) -> str:
    """``clean`` text for a matplotlib title, label or legend: ``$`` escaped, so no mathtext."""
    return clean(text, limit).replace("$", r"\$")


def message(error, limit: int = 300) -> str:
    """An error's text for a Markdown alert: ``public``, then ``md``."""
    return md(public(error, limit), limit)


def public(text, limit: int = 300) -> str:
    """A message for participants: server paths become their last part, URLs become ``<url>``."""
    text = _URL.sub("<url>", str(text))
    text = _PATH.sub(lambda m: m.group(1) or "<folder>", text)
    return clean(text, limit)
