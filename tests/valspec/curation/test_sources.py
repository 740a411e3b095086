from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from valspec.curation.sources import read_source
from valspec.domain.errors import DataError
from valspec.domain.values import Value


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_folder_reads_txt_and_json_sidecars_and_lists_non_media(tmp_path: Path) -> None:
    _touch(tmp_path / "a.mp4")
    (tmp_path / "a.txt").write_text("  Skydiving today  \n")
    _touch(tmp_path / "sub" / "b.JPG")
    (tmp_path / "sub" / "b.json").write_text(
        json.dumps(
            {
                "caption": "Grandma's recipe",
                "hashtags": ["#family", "heritage"],
                "transcript": "we cook",
                "platform": "Instagram",
                "value": "Tradition",
            }
        )
    )
    _touch(tmp_path / "c.png")  # no sidecar: no text
    _touch(tmp_path / "notes.pdf")
    _touch(tmp_path / ".hidden" / "d.png")
    items, skipped = read_source(tmp_path)
    by_id = {i.id: i for i in items}
    assert sorted(by_id) == ["a", "c", "sub--b"]
    assert by_id["a"].caption == "Skydiving today" and by_id["a"].kind == "video"
    b = by_id["sub--b"]
    assert (b.kind, b.platform, b.given_value) == ("image", "instagram_reels", Value.TRADITION)
    assert b.hashtags == ("family", "heritage")
    assert b.text == "Grandma's recipe\n#family #heritage\nwe cook"
    assert by_id["c"].text == "" and by_id["c"].platform == "unknown"
    assert [s.path.name for s in skipped] == ["notes.pdf"]
    assert "not a video or image" in skipped[0].reason


def test_csv_listing_with_relative_files(tmp_path: Path) -> None:
    _touch(tmp_path / "media" / "one.mp4")
    listing = tmp_path / "list.csv"
    listing.write_text(
        "file,caption,hashtags,platform\n"
        "media/one.mp4,Concert night,#music #fun,tiktok\n"
        "media/two.png,Missing file,,\n"
    )
    items, skipped = read_source(listing)
    assert [i.id for i in items] == ["media--one", "media--two"] and skipped == []
    assert items[0].hashtags == ("music", "fun") and items[0].platform == "tiktok"
    assert items[0].origin == f"{listing.resolve()}:2"


def test_hf_metadata_jsonl_uses_file_name_and_text(tmp_path: Path) -> None:
    _touch(tmp_path / "x.png")
    listing = tmp_path / "metadata.jsonl"
    listing.write_text(json.dumps({"file_name": "x.png", "text": "beach day", "id": "x1"}) + "\n")
    items, _ = read_source(listing)
    assert items[0].id == "x1" and items[0].caption == "beach day"


def test_duplicate_ids_are_made_unique(tmp_path: Path) -> None:
    listing = tmp_path / "l.jsonl"
    rows = [{"file": "a.png", "id": "same"}, {"file": "b.png", "id": "same"}]
    listing.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [i.id for i in read_source(listing)[0]] == ["same", "same-2"]


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("l.jsonl", '{"file": "a.png"}\n{"file": \n', ":2: malformed JSON"),
        ("l.jsonl", '{"caption": "no file"}\n', ":1: file: missing"),
        ("l.jsonl", '{"file": "a.png", "platform": "myspace"}\n', ":1: platform: unknown platform"),
        ("l.jsonl", '{"file": "a.png", "value": "greed"}\n', ":1: value: unknown value 'greed'"),
        ("l.jsonl", '{"file": "a.png", "hashtags": 3}\n', ":1: hashtags: expected a list"),
        ("l.csv", "path,caption\na.png,x\n", ":1: the header needs a 'file'"),
        ("l.jsonl", "", "the listing has no rows"),
    ],
)
def test_bad_listings_name_file_line_and_field(
    tmp_path: Path, name: str, body: str, expected: str
) -> None:
    listing = tmp_path / name
    listing.write_text(body)
    with pytest.raises(DataError) as err:
        read_source(listing)
    assert str(listing.resolve()) in str(err.value) and expected in str(err.value)


def test_bad_sidecar_is_named(tmp_path: Path) -> None:
    _touch(tmp_path / "a.png")
    (tmp_path / "a.json").write_text("{nope")
    with pytest.raises(DataError, match=r"a\.json: malformed JSON sidecar"):
        read_source(tmp_path)


def test_missing_source_and_wrong_file_type(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="source not found"):
        read_source(tmp_path / "absent")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(DataError, match="expected a folder, or a listing"):
        read_source(tmp_path / "x.txt")


_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"),
    max_size=40,
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(captions=st.lists(_TEXT, min_size=1, max_size=5))
def test_any_caption_round_trips_through_csv_and_jsonl_listings(
    tmp_path: Path, captions: list[str]
) -> None:
    rows = [{"file": f"m/{i}.png", "caption": c} for i, c in enumerate(captions)]
    with (tmp_path / "l.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["file", "caption"])
        writer.writeheader()
        writer.writerows(rows)
    (tmp_path / "l.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for name in ("l.csv", "l.jsonl"):
        items, _ = read_source(tmp_path / name)
        assert [i.caption for i in items] == [c.strip() for c in captions]
        assert [i.path.name for i in items] == [f"{i}.png" for i in range(len(captions))]
