"""Secret redaction (valspec.reports.redact): which environment values count as secrets, each
token shape and its length boundary, and the row-at-once fast path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from valspec.reports.redact import (
    _TOKEN_SHAPES,
    MASK,
    _may_hold_token,
    redact,
    redact_cells,
    secret_values,
)


def test_secret_values_come_from_secret_looking_names_only() -> None:
    env = {"OPENAI_API_KEY": "abcdefgh1234", "HOME": "/home/someone-long", "HF_TOKEN": "x"}
    assert secret_values(env) == ("abcdefgh1234",)


@pytest.mark.parametrize(
    "name",
    ["MY_KEY", "HF_TOKEN", "APP_SECRET", "DB_PASSWORD", "DB_PASSWD", "GCP_CREDENTIALS",
     "BASIC_AUTH", "openai_api_key", "Hf_Token"],
)  # fmt: skip
def test_every_secret_word_in_a_name_marks_its_value_any_case(name: str) -> None:
    assert secret_values({name: "value-of-8"}) == ("value-of-8",)


@pytest.mark.parametrize(("value", "kept"), [("1234567", False), ("12345678", True)])
def test_a_secret_value_has_at_least_eight_characters(value: str, kept: bool) -> None:
    assert secret_values({"API_KEY": value}) == ((value,) if kept else ())


def test_secret_values_are_longest_first_so_a_longer_secret_is_masked_whole() -> None:
    env = {"A_KEY": "abcdefgh", "B_TOKEN": "abcdefgh-and-more", "C_SECRET": "abcdefgh-and"}
    found = secret_values(env)
    assert found == ("abcdefgh-and-more", "abcdefgh-and", "abcdefgh")
    assert redact("token abcdefgh-and-more here", found) == f"token {MASK} here"


def test_a_secret_containing_a_shorter_one_is_masked_whole_whatever_its_letters() -> None:
    env = {"SHORT_TOKEN": "yyyyyyyy", "LONG_TOKEN": "xyyyyyyyy", "OTHER_KEY": "zzzzzzzzzz"}
    found = secret_values(env)
    assert found == ("zzzzzzzzzz", "xyyyyyyyy", "yyyyyyyy")  # by length, not alphabet
    assert redact("xyyyyyyyy", found) == MASK  # not "x" + MASK


def test_secret_values_and_redact_read_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VALSPEC_TEST_TOKEN", "plain-secret-without-shape")
    assert "plain-secret-without-shape" in secret_values()
    assert redact("echo plain-secret-without-shape") == f"echo {MASK}"
    assert redact("echo plain-secret-without-shape", ()) == "echo plain-secret-without-shape"


def test_every_occurrence_of_a_secret_is_masked() -> None:
    assert redact("abcdefgh1234 then abcdefgh1234", ("abcdefgh1234",)) == f"{MASK} then {MASK}"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("key sk-" + "a" * 12, True),
        ("key sk-" + "a" * 11, False),
        ("key sk-proj_ab-" + "c" * 9, True),
        ("xsk-" + "a" * 20, False),  # not at a word start
        ("hf_" + "a" * 20, True),
        ("hf_" + "a" * 19, False),
        *((f"gh{kind}_" + "a" * 20, True) for kind in "pousr"),
        ("ghx_" + "a" * 20, False),
        ("ghp_" + "a" * 19, False),
        ("Authorization: Bearer abcdefgh", True),
        ("Authorization: Bearer abcdefg", False),
        ("Bearer a.b-c~d+e/f=", True),
    ],
)
def test_each_token_shape_is_masked_from_its_minimum_length(text: str, masked: bool) -> None:
    got = redact(text, ())
    assert (MASK in got) is masked
    if masked:
        assert got.endswith(MASK)


@given(
    secret=st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=8, max_size=40),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_a_secret_never_survives_redaction(secret: str, before: str, after: str) -> None:
    assert secret not in redact(before + secret + after, (secret,)) or secret in MASK


_CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["sk-abcdefghijklmnop", "Bearer abcdefghij", "hf_" + "a" * 24, "x-y z"]),
)


@given(cells=st.lists(_CELL, max_size=6), secret=st.sampled_from(["", "abcdefgh1234"]))
def test_a_row_checked_at_once_is_redacted_exactly_like_cell_by_cell(
    cells: list[str], secret: str
) -> None:
    secrets = (secret,) if secret else ()
    cells = [c + (secret if i == 1 else "") for i, c in enumerate(cells)]
    assert redact_cells(cells, secrets) == [redact(c, secrets) for c in cells]


@pytest.mark.parametrize("row", [["plain", "text"], ["a short sk-key", "Bearer x"], []])
def test_a_row_without_secrets_is_returned_as_it_is(row: list[str]) -> None:
    assert redact_cells(row, ("abcdefgh1234",)) is row  # the fast path: no copy


def test_the_token_markers_are_what_every_token_shape_contains() -> None:
    assert not _may_hold_token("plain text, no key at all")
    for marker in ("sk-", "hf_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "Bearer "):
        assert _may_hold_token(f"a {marker} b")


@pytest.mark.parametrize(
    "cells",
    [["plain", "sk-" + "a" * 16], ["plain", "x abcdefgh1234 y"], ["ghs_" + "b" * 20, "ok"]],
)
def test_a_row_with_one_secret_cell_masks_that_cell_only(cells: list[str]) -> None:
    got = redact_cells(cells, ("abcdefgh1234",))
    changed = [a != b for a, b in zip(cells, got, strict=True)]
    assert changed.count(True) == 1
    assert all(MASK in g for g, c in zip(got, changed, strict=True) if c)


@given(st.text(max_size=40), st.sampled_from(["sk-", "hf_", "ghs_", "Bearer ", ""]))
def test_text_without_a_token_marker_never_matches_a_token_shape(text: str, marker: str) -> None:
    sample = text + marker + "abcdefghijklmnopqrstuvwx"
    if not _may_hold_token(sample):
        assert _TOKEN_SHAPES.search(sample) is None
    assert redact(sample, ()) == _TOKEN_SHAPES.sub(MASK, sample)
