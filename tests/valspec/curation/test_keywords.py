from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.curation.keywords import BUNDLED_KEYWORDS, load_keywords
from valspec.domain.errors import DataError
from valspec.domain.values import CIRCLE_ORDER, Value


def test_bundled_list_covers_every_value_and_is_hashed() -> None:
    keywords = load_keywords()
    assert [v.value for v in keywords.values] == list(CIRCLE_ORDER)
    assert all(v.description and len(v.keywords) >= 10 for v in keywords.values)
    assert keywords.path == BUNDLED_KEYWORDS and len(keywords.sha256) == 64


def test_matches_whole_words_plurals_and_hashtags_not_parts_of_words() -> None:
    keywords = load_keywords()
    found = keywords.matches("Best friends at the beach #AdventureTime, no funeral here")
    assert "friend" in found[Value.BENEVOLENCE]  # plural
    assert "beach" in found[Value.HEDONISM]
    assert "adventure" in found[Value.STIMULATION]  # inside a hashtag, 4+ letters
    assert "fun" not in found.get(Value.HEDONISM, ())  # "funeral" is not "fun"
    assert keywords.matches("#funtimes") == {}  # 3 letters: whole words only
    assert keywords.matches("#fun") == {Value.HEDONISM: ("fun",)}  # "#fun" is the whole word
    assert keywords.matches("") == {}


def test_multi_word_keywords_match_across_spaces() -> None:
    found = load_keywords().matches("Took the PRIVATE   JET to Monaco")
    assert found[Value.POWER] == ("private jet",)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "k.toml"
    path.write_text(body, encoding="utf-8")
    return path


def _full(except_value: str = "", extra: str = "") -> str:
    parts = [
        f'[{v.value}]\ndescription = "about {v.value}"\nkeywords = ["{v.value}"]\n'
        for v in CIRCLE_ORDER
        if v.value != except_value
    ]
    return "".join(parts) + extra


def test_user_list_replaces_the_bundled_one(tmp_path: Path) -> None:
    keywords = load_keywords(_write(tmp_path, _full()))
    assert keywords[Value.POWER].keywords == ("power",)
    assert keywords.sha256 != load_keywords().sha256


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_full(except_value="power"), "no keywords for power"),
        (_full(extra='[powr]\ndescription = "x"\nkeywords = ["y"]\n'), "[powr]: unknown value"),
        (_full().replace('keywords = ["hedonism"]', "keywords = []"), "hedonism.keywords"),
        (
            _full().replace('description = "about tradition"', 'description = ""'),
            "tradition.description",
        ),
        (
            _full().replace('keywords = ["security"]', 'keywords = ["a"]\nweight = 2'),
            "unknown keys weight",
        ),
        ("[power\n", "not valid TOML"),
    ],
)
def test_bad_lists_name_the_file_and_the_field(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(DataError) as err:
        load_keywords(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_missing_list_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="keyword list not found"):
        load_keywords(tmp_path / "nope.toml")


@given(
    before=st.text(alphabet="abc xyz.,!", max_size=30),
    after=st.text(alphabet="abc xyz.,!", max_size=30),
    index=st.integers(0, 199),
)
def test_a_keyword_set_apart_in_any_text_is_found(before: str, after: str, index: int) -> None:
    keywords = load_keywords()
    entry = keywords.values[index % 10]
    keyword = entry.keywords[index % len(entry.keywords)]
    found = keywords.matches(f"{before} {keyword.upper()} {after}")
    assert keyword in found[entry.value]
