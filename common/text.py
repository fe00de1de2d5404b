"""Plain text: what a participant typed or uploaded, made safe to store and to show.

Run names, nicknames, link notes, file names, model metadata and error messages go through one
of these before anyone sees them: ``clean`` for places that show text literally (select options,
table cells), ``md`` where Streamlit renders Markdown (headers, captions, alerts, tooltips:
Markdown, HTML, KaTeX and Streamlit's ``:color[...]`` and ``:emoji:`` directives), ``chart`` for
matplotlib (mathtext). ``public`` (and ``message``, for alerts) drops server paths and database
URLs from error messages. ``one_line`` and ``name_key`` are the store's rules for a nickname: how
it is kept, and when two of them are the same name.

Text is cut where a character starts as a person sees it: an extended grapheme cluster (Unicode
UAX #29, the ``regex`` package's ``\\X``), so an emoji keeps its joiners, skin tone and selector,
a flag both halves, a letter its accents and a Devanagari conjunct its virama.
"""

from __future__ import annotations

import re
import string
import unicodedata

import regex

MAX_LEN = 80  # characters of user text shown in one place (a run name is cut to 40 when typed)
ZWJ = "\u200d"  # the zero-width joiner: 👩 + ZWJ + 🔬 is one emoji, 👩‍🔬
_GRAPHEME = regex.compile(r"\X")
_JOINED = regex.compile(r"[\p{Extended_Pictographic}\p{InCB=Consonant}]")  # what a joiner joins on
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")  # sqlite:///..., postgresql://user:pw@host/db
_PATH = re.compile(r"(?<![\w.~])(?:[A-Za-z]:)?[\\/](?:[^\s\\/'\"]+[\\/])+([^\s\\/'\"]*)")
_AUTOLINK = re.compile(r"(?i)(:)(?=\\/\\/)|(www)(?=\\\.)|(\\@)")  # GFM turns these into links even escaped
_BREAK = "\u200b"  # a zero-width space (never in cleaned text) keeps the text as it reads, but no link
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}  # controls, bidi overrides, zero-width, surrogates, private use
# Combining marks kept on one character: Vietnamese, Thai or Devanagari need two or three; "Zalgo"
# text stacks dozens, which draw over the lines above and below it on the projector.
MAX_MARKS = 3


def graphemes(text: str) -> list[str]:
    """``text`` as the characters a person sees (extended grapheme clusters)."""
    return _GRAPHEME.findall(text)


def cut(text: str, limit: int | None) -> str:
    """The longest start of ``text`` of at most ``limit`` code points that ends where a character
    ends as a person sees it (None: not cut)."""
    if limit is None or len(text) <= limit:
        return text
    end = 0
    for g in graphemes(text):
        if end + len(g) > limit:
            break
        end += len(g)
    return text[:end]


def _joiners_kept(text: str, keep) -> list[str | None]:
    """``text``'s characters: each one that ``keep`` accepts, and each zero-width joiner that joins
    two parts of one character (two emoji: a family, a job, a flag with a rainbow; two letters of
    an Indic conjunct), as it is; None for the others. Any other joiner is invisible: in a name it hides."""
    out: list[str | None] = []
    for g in graphemes(text):
        out += [ch if keep(ch) or _joins(g, i) else None for i, ch in enumerate(g)]
    return out


def _joins(g: str, i: int) -> bool:
    """``g[i]`` is a joiner that the next character of ``g`` is joined on by (UAX #29's rules GB11
    and GB9c), not one that trails a character as a mark does."""
    return g[i] == ZWJ and i + 1 < len(g) and _JOINED.match(g[i + 1]) is not None


def clean(text, limit: int = MAX_LEN) -> str:
    """One line of printable text: control and format characters removed (but the joiners inside
    emoji), whitespace runs made one space, cut to ``limit`` characters where a character starts
    as a person sees it (an ellipsis marks the cut)."""
    text = "".join(" " if ch in "\t\n\r\v\f" else ch for ch in str(text))
    kept = _joiners_kept(text, lambda ch: unicodedata.category(ch) not in _DROPPED)
    text = _few_marks(" ".join("".join(ch for ch in kept if ch is not None).split()))
    return text if len(text) <= limit else cut(text, limit - 1).rstrip() + "…"


def one_line(text, limit: int | None = None) -> str:
    """Printable characters only (and the joiners inside emoji), any other character and every
    whitespace run made one space, trimmed, at most ``limit`` long, cut where a character starts
    (None: not cut). How the store keeps a nickname."""
    kept = _joiners_kept(str(text), str.isprintable)
    return cut(" ".join("".join(" " if ch is None else ch for ch in kept).split()), limit).strip()


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


# Cyrillic and Greek letters that look like Latin ones on a projector (after case-folding). A
# capital I and a small l look alike too, but "ALICE" has an I and "Ella" is not "Elia": not mapped.
_LOOKALIKE = str.maketrans(
    {
        **dict(zip("авеёкмнорстухіјѕԁӏԛԝ", "abeekmhopctyxijsdlqw", strict=True)),
        **dict(zip("αβεικνορτυχζ", "abeiknoptuxz", strict=True)),
    }
)


def name_key(name: str) -> str:
    """What makes two names the same: how they look. Compatibility-normalised, accents dropped,
    case-folded, Cyrillic and Greek look-alikes made Latin, spaces and punctuation dropped
    ("Alice", "ALICE", "Ａｌｉｃｅ", "al ice", "Alíce", "Alice!" and "Аlice" with a Cyrillic А are
    one name, and "Presenter." is the presenter's)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return "".join(ch for ch in text.casefold().translate(_LOOKALIKE) if unicodedata.category(ch)[0] not in "PZC")
