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

import glyphguard
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


# The glyphs a projector font draws alike, one class each, written as TR39 writes the class. After
# case-folding, "ALICE" has an i where "AIice" (a capital I) has the bar that l, 1, | and ı draw:
# both are Alice on the board, so i and l are one class ("Ella" is "Eiia"). TR39 sends m to rn;
# the key writes the pair as m.
_PROJECTOR = str.maketrans(dict.fromkeys("i1|ı", "l") | {"0": "o"})
# Spaces, punctuation and what is not drawn: controls, format characters (zero-width, bidi), private
# use. Not "Cn": a prototype newer than this Python's Unicode tables is unassigned here, and is a letter.
_NOT_SEEN = {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"}
# The rules a stored key was computed by: these steps, and the confusables table of the package
# that computes the skeleton. The store recomputes its keys when this differs from the one it recorded.
NAME_KEY_RULES = f"projector-1/glyphguard-{glyphguard.__version__}/unicode-{glyphguard.UNICODE_VERSION}"


def _no_marks(text: str, form: str) -> str:
    return "".join(ch for ch in unicodedata.normalize(form, text) if not unicodedata.combining(ch))


def _skeleton(text: str) -> str:
    """Unicode TR39's skeleton of ``text`` as typed, then of its case-folded skeleton until that holds:
    a capital meets its Latin twin before case-folding sends it elsewhere (Armenian Տ is S, its
    small letter տ is like no Latin one), and a small letter after (Greek Γ is like no Latin
    capital, its small letter γ is y)."""
    text = glyphguard.skeleton(text)
    for _ in range(4):  # two rounds settle every confusable; the bound keeps a surprise finite
        again = glyphguard.skeleton(text.casefold())
        if again == text:
            break
        text = again
    return text.casefold()


def name_key(name: str) -> str:
    """What makes two names the same: how they look on a projector. In this order:

    1. accents dropped (canonical decomposition only: a compatibility one turns Greek Ϲ, which
       looks like C, into Σ before TR39 sees it);
    2. Unicode TR39's skeleton (``glyphguard.skeleton``, from Unicode's confusables.txt), on the
       name as typed and again case-folded (``_skeleton``): Cyrillic, Greek, Cherokee and Armenian
       look-alikes meet their Latin twins, and "Ａｌｉｃｅ" and "𝐀lice" meet "Alice";
    3. compatibility-normalised, accents the skeleton brought dropped, then spaces, punctuation
       and invisible characters dropped ("al ice", "Alice!", "Al\u200bice");
    4. the projector's classes: i, l, 1, | and ı are one letter, o and 0 one, rn is m.

    TR39 alone keeps "ALICE" (whose I becomes l) from "alice", and maps "Al1ce" to "allce":
    step 4 is what makes them Alice. "Presenter." is the presenter's.
    """
    text = _no_marks(_skeleton(_no_marks(name, "NFD")), "NFKD")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _NOT_SEEN)
    return text.translate(_PROJECTOR).replace("rn", "m")
