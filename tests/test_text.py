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
    assert {text.name_key(name) for name in same} == {"alice"}
