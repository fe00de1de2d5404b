"""Plain text (common/text.py): cut where a character starts as a person sees it, in any script."""

import pytest

from common import text


@pytest.mark.parametrize(
    "whole, limit, kept",
    [
        ("ab👩🏽\u200d🔬", 5, "ab"),  # an emoji with its skin tone and joiner: whole or not at all
        ("ab🇫🇷🇩🇪", 5, "ab🇫🇷"),  # a flag is two regional indicators
        ("abe\u0301", 3, "ab"),  # a letter with its accent
        ("नमस्ते", 4, "नम"),  # स्ते is one character: स, virama, त, vowel sign
        ("क्षमा", 2, ""),  # क्ष: the virama joins two consonants, never left dangling
        ("한국어", 2, "한국"),
        ("abc", None, "abc"),
    ],
)
def test_a_cut_never_splits_a_character(whole, limit, kept):
    assert text.cut(whole, limit) == kept


def test_a_joiner_is_kept_only_where_it_joins_two_emoji_or_two_letters():
    assert text.clean("👩\u200d🔬 Al\u200dice \u200d👩\u200d") == "👩\u200d🔬 Alice 👩"
    assert text.one_line("Al\u200dice") == "Al ice"  # a stored nickname: the hiding joiner is a space


def test_names_that_look_alike_have_one_key():
    same = ["Alice", "ALICE", "Ａｌｉｃｅ", "al ice", "Alíce", "Alice!", "Аlice"]  # the last with a Cyrillic А
    assert len({text.name_key(name) for name in same}) == 1


# Names a projector shows alike, and why each pair is there: the order of name_key's steps is
# checked by the pairs marked "order" (each fails when two steps swap or one is left out).
LOOK_ALIKE = [
    ("Alice", "AIice"),  # a capital I: on the board, the bar of an l
    ("Alice", "Al1ce"),  # a one: TR39 alone makes it "allce", apart from "alice" (order)
    ("Alice", "A|ice"),
    ("Alice", "Alıce"),  # a dotless i
    ("Alice", "ALICE"),  # TR39 before case-folding makes it "ALlCE": apart from "alice" (order)
    ("AIice", "al1ce"),
    ("Otto", "0tt0"),  # zeros
    ("Tom", "Torn"),  # rn
    ("Emma", "Ernrna"),
    ("Alice", "\u0410lice"),  # Cyrillic А
    ("Bob", "\u0412ob"),  # Cyrillic В: only the capital looks like B (order: case-folded first, в is ʙ)
    ("Peter", "\u0420\u0435ter"),  # Cyrillic Р and е
    ("Hans", "\u0397ans"),  # Greek Η: case-folded first it is η, an n (order)
    ("Kim", "\u039a\u0399\u039c"),  # Greek ΚΙΜ: case-folded first, κ is ĸ and μ stays (order)
    ("Carl", "\u03f9arl"),  # Greek Ϲ: a compatibility decomposition first makes it Σ (order)
    ("Sam", "\u054fam"),  # Armenian Տ: case-folded first it is տ, like no Latin letter (order)
    ("Olga", "\u0555lga"),  # Armenian Օ
    ("Yves", "\u03b3ves"),  # Greek γ
    ("Yves", "\u0393VES"),  # "γves" in capitals: case makes no new name, and Γ is y only once case-folded (order)
    ("Nora", "\u0548ora"),  # Armenian Ո: like n only as its small letter ո (order)
    ("Ruth", "\u13a1uth"),  # Cherokee Ꭱ
    ("Dave", "\u13a0\u13aa\u13d9\u13ac"),  # Cherokee ᎠᎪᏙᎬ
    ("Alice", "\u13aa\u13de\u13a5\u13df\u13ac"),  # Cherokee ᎪᏞᎥᏟᎬ
    ("Alice", "Ａｌｉｃｅ"),  # fullwidth
    ("Alice", "\U0001d400lice"),  # mathematical bold A
    ("Alice", "Alíce"),
    ("Alice", "al ice"),
    ("Alice", "Alice!"),
    ("Alice", "Al\u200bice"),  # a zero-width space
    ("Presenter", "Presenter."),
]
NOT_ALIKE = [("Alice", "Alina"), ("Bob", "Rob"), ("Ann", "Anna"), ("Tom", "Tim"), ("Max", "Mac"), ("Lea", "Leo")]


@pytest.mark.parametrize("one, other", LOOK_ALIKE)
def test_names_a_projector_shows_alike_have_one_key(one, other):
    assert text.name_key(one) == text.name_key(other)


@pytest.mark.parametrize("one, other", NOT_ALIKE)
def test_names_that_look_different_keep_their_own_keys(one, other):
    assert text.name_key(one) != text.name_key(other)


def test_every_script_keeps_a_key_of_its_own():
    names = ["नमस्ते", "한국어", "東京", "🦊", "👩\u200d🔬", "Ζωή", "Мария", "Zoë"]
    keys = [text.name_key(name) for name in names]
    assert all(keys) and len(set(keys)) == len(names)
    assert text.name_key(text.name_key("Al1ce")) == text.name_key("Al1ce")  # a key is its own key
