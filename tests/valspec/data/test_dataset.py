from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from valspec.data.dataset import KINDS, PLATFORMS, Dataset, Item, _parse_row, load_dataset
from valspec.domain.errors import DataError
from valspec.domain.values import Value


def _write_media(root: Path, name: str, payload: bytes = b"\xff\xd8fake-jpeg") -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload + name.encode())
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _row(root: Path, item_id: str, value: str = "power", **extra: object) -> dict[str, object]:
    name = f"media/{item_id}.jpg"
    row: dict[str, object] = {
        "id": item_id,
        "file": name,
        "kind": "image",
        "platform": "tiktok",
        "value": value,
        "sha256": _write_media(root, name),
    }
    row.update(extra)
    return row


def _manifest(root: Path, rows: list[dict[str, object]], name: str = "manifest.jsonl") -> Path:
    path = root / name
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _error(path: Path) -> DataError:
    with pytest.raises(DataError) as info:
        load_dataset(path)
    return info.value


def test_loads_a_valid_manifest_and_hashes_it(tmp_path: Path) -> None:
    rows = [_row(tmp_path, f"p{i}", "power") for i in range(3)]
    rows += [_row(tmp_path, "b0", "Benevolence", value_weights={"universalism": 0.3})]
    data = load_dataset(_manifest(tmp_path, rows))
    assert len(data) == 4
    assert data.items[3].value is Value.BENEVOLENCE
    assert data.items[3].value_weights == {Value.UNIVERSALISM: 0.3, Value.BENEVOLENCE: 1.0}
    assert data.content_hash.startswith("sha256:")
    assert load_dataset(tmp_path).content_hash == data.content_hash  # a folder works too


def test_content_hash_changes_with_labels_and_media(tmp_path: Path) -> None:
    rows = [_row(tmp_path, "a", "power")]
    first = load_dataset(_manifest(tmp_path, rows)).content_hash
    rows[0]["value"] = "security"
    assert load_dataset(_manifest(tmp_path, rows)).content_hash != first


def test_hf_style_metadata_with_file_name(tmp_path: Path) -> None:
    _write_media(tmp_path, "clip.jpg")
    _manifest(tmp_path, [{"file_name": "clip.jpg", "value": "tradition"}], "metadata.jsonl")
    data = load_dataset(tmp_path)
    item = data.items[0]
    assert (item.id, item.kind, item.platform, item.value) == (
        "clip",
        "image",
        "unknown",
        Value.TRADITION,
    )


@pytest.mark.parametrize(
    ("mutate", "field", "needle"),
    [
        (lambda r: r.update(value="benevolance"), "value", "Did you mean 'benevolence'"),
        (lambda r: r.update(kind="gif"), "kind", "'gif' is not one of video, image"),
        (lambda r: r.update(platform="vine"), "platform", "'vine' is not one of"),
        (lambda r: r.update(sha256="0" * 64), "sha256", "mismatch"),
        (lambda r: r.update(file="media/missing.jpg"), "file", "media file not found"),
        (lambda r: r.update(file="../outside.jpg"), "file", "outside the dataset root"),
        (lambda r: r.update(file="/etc/passwd"), "file", "absolute path"),
        (lambda r: r.pop("value"), "value", "missing"),
        (lambda r: r.update(value_weights={"power": 2}), "value_weights.power", "in [0, 1]"),
        (lambda r: r.update(keywords="beach"), "keywords", "list of strings"),
    ],
)
def test_bad_rows_name_file_line_and_field(
    tmp_path: Path, mutate: object, field: str, needle: str
) -> None:
    rows = [_row(tmp_path, "ok"), _row(tmp_path, "bad")]
    mutate(rows[1])  # type: ignore[operator]
    manifest = _manifest(tmp_path, rows)
    err = _error(manifest)
    assert (err.file, err.line, err.field) == (str(manifest), 2, field)
    assert needle in str(err)
    assert str(err).startswith(f"{manifest}:2: {field}: ")
    assert "\n" not in str(err)


def test_malformed_json_and_duplicates(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    good = json.dumps(_row(tmp_path, "a"))
    manifest.write_text(good + "\n\n{not json\n")
    err = _error(manifest)
    assert err.line == 3 and "malformed JSON" in str(err)
    manifest.write_text(good + "\n" + good + "\n")
    err = _error(manifest)
    assert err.line == 2 and err.field == "id" and "first on line 1" in str(err)


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"x")
    root = tmp_path / "data"
    root.mkdir()
    (root / "link.jpg").symlink_to(outside)
    manifest = _manifest(root, [{"id": "l", "file": "link.jpg", "value": "power"}])
    assert "a symlink pointing outside the dataset root" in str(_error(manifest))


def test_missing_manifest_and_empty_folder(tmp_path: Path) -> None:
    assert "not found" in str(_error(tmp_path / "nope.jsonl"))
    assert "no manifest.jsonl or metadata.jsonl" in str(_error(tmp_path))


def test_select_by_value_and_platform(tmp_path: Path) -> None:
    rows = [
        _row(tmp_path, "a", "power"),
        _row(tmp_path, "b", "security", platform="youtube_shorts"),
    ]
    data = load_dataset(_manifest(tmp_path, rows))
    assert [i.id for i in data.select(values=["security"])] == ["b"]
    assert [i.id for i in data.select(platforms=["tiktok"])] == ["a"]
    with pytest.raises(DataError, match="platform"):
        data.select(platforms=["vine"])


@settings(max_examples=25)
@given(per_value=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_stratified_limit_is_seeded_and_bounded(
    tmp_path_factory: pytest.TempPathFactory, per_value: int, seed: int
) -> None:
    root = tmp_path_factory.mktemp("limit")
    rows = [_row(root, f"{v}{i}", v) for v in ("power", "security") for i in range(4)]
    data = load_dataset(_manifest(root, rows))
    limited = data.limit(per_value, seed=seed)
    counts = {v: len(items) for v, items in limited.by_value().items()}
    assert counts == {Value.POWER: min(per_value, 4), Value.SECURITY: min(per_value, 4)}
    assert limited.items == data.limit(per_value, seed=seed).items
    assert [i.id for i in limited] == [i.id for i in data if i in limited.items]  # manifest order


def test_rows_sharing_a_file_resolve_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = _write_media(tmp_path, "media/shared.jpg")
    rows = [
        {"id": f"s{i}", "file": "media/shared.jpg", "value": "power", "sha256": sha}
        for i in range(5)
    ]
    resolved: list[Path] = []
    real = Path.resolve

    def counting(self: Path, strict: bool = False) -> Path:
        resolved.append(self)
        return real(self, strict=strict)

    monkeypatch.setattr(Path, "resolve", counting)
    data = load_dataset(_manifest(tmp_path, rows))
    assert len({item.path for item in data.items}) == 1
    assert sum(p.name == "shared.jpg" for p in resolved) == 1


# -- the fast paths give exactly what the straightforward code gives --------------------------


def _reference_hash(data: Dataset) -> str:
    """The content hash as first written: one json.dumps per item, hashed line by line."""
    digest = hashlib.sha256()
    for item in sorted(data.items, key=lambda i: i.id):
        weights = {v.value: w for v, w in sorted(item.value_weights.items())}
        record = [item.id, item.sha256, item.kind, item.platform, item.value.value, weights]
        digest.update(json.dumps(record, separators=(",", ":")).encode())
        digest.update(b"\n")
    return "sha256:" + digest.hexdigest()


weights = st.dictionaries(
    st.sampled_from(list(Value)),
    st.one_of(st.floats(0, 1), st.sampled_from([0, 1, 0.0, -0.0, 1.0, 0.30000000000000004])),
    max_size=4,
)
items = st.lists(
    st.builds(
        Item,
        id=st.text(min_size=1, max_size=12),
        file=st.just("clip.jpg"),
        path=st.just(Path("/data/clip.jpg")),
        kind=st.sampled_from(KINDS),
        platform=st.sampled_from(PLATFORMS),
        value=st.sampled_from(list(Value)),
        sha256=st.text(alphabet='0123456789abcdef"\\é', max_size=64),
        value_weights=weights,
    ),
    max_size=20,
    unique_by=lambda i: i.id,
)


@given(items)
def test_content_hash_is_the_straightforward_hash(rows: list[Item]) -> None:
    data = Dataset(manifest=Path("/data/manifest.jsonl"), items=tuple(rows))
    assert data.content_hash == _reference_hash(data)


def _reference_load(manifest: Path) -> Dataset:
    """load_dataset with every row through the full check (the loader before its fast path)."""
    root = manifest.parent.resolve()
    hashes: dict[Path, str] = {}
    paths: dict[str, Path] = {}
    loaded: list[Item] = []
    seen: dict[str, int] = {}
    for line_no, line in enumerate(manifest.read_text().splitlines(), start=1):
        row = json.loads(line)
        item = _parse_row(row, manifest, root, line_no, hashes=hashes, verify=True, paths=paths)
        if item.id in seen:
            message = f"duplicate id {item.id!r} (first on line {seen[item.id]})"
            raise DataError(message, file=manifest, line=line_no, field="id")
        seen[item.id] = line_no
        loaded.append(item)
    return Dataset(manifest=manifest, items=tuple(loaded))


FIELD_VALUES: dict[str, list[object]] = {
    "kind": [None, "", "video", "image", "gif", 3],
    "platform": [None, "", "tiktok", "unknown", "vine", ["tiktok"]],
    "value": [None, "", " ", "power", "Power", "SD", "self_direction", "powr", 1],
    "id": [None, "", " ", "x", 7],
    "keywords": [None, [], ["a", "b"], ["a", 1], "beach"],
    "sha256": [None, "", "SHA", "0" * 64, 5],
    "topic": [None, "", "travel", 2],
    "caption": [None, "hi", False],
    "value_weights": [None, {}, {"universalism": 0.5}, {"power": 2}, {"nope": 0.1}, [1]],
    "file_name": ["media/a.jpg", "media/b.jpg", "missing.jpg"],
}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(sorted(FIELD_VALUES)),
            st.integers(0, 9),
            max_size=4,
        ),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_rows_of_known_files_load_as_the_full_check_loads_them(
    tmp_path_factory: pytest.TempPathFactory, changes: list[dict[str, int]], by_file_name: bool
) -> None:
    root = tmp_path_factory.mktemp("fast")
    sha = {name: _write_media(root, f"media/{name}.jpg") for name in ("a", "b")}
    rows: list[dict[str, object]] = [
        {"id": "first-a", "file": "media/a.jpg", "value": "power", "sha256": sha["a"]},
        {"id": "first-b", "file": "media/b.jpg", "value": "security"},
    ]
    for n, change in enumerate(changes):
        row: dict[str, object] = {"id": f"r{n}", "file": "media/a.jpg", "value": "hedonism"}
        if by_file_name:
            row["file_name"] = row.pop("file")
        for fld, pick in change.items():
            choices = FIELD_VALUES[fld]
            row[fld] = choices[pick % len(choices)]
            if fld == "sha256" and row[fld] == "SHA":
                row[fld] = sha["a"].upper()
        rows.append({k: v for k, v in row.items() if v is not None or k == "value"})
    manifest = _manifest(root, rows)
    try:
        expected = _reference_load(manifest)
    except DataError as err:
        assert str(_error(manifest)) == str(err)
        event("a row is refused")
        return
    event("the rows load")
    got = load_dataset(manifest)
    assert got.items == expected.items
    assert [dict(i.value_weights) for i in got] == [dict(i.value_weights) for i in expected]


def test_a_bad_row_after_a_good_row_of_the_same_file_names_its_field(tmp_path: Path) -> None:
    sha = _write_media(tmp_path, "media/shared.jpg")
    good = {"id": "a", "file": "media/shared.jpg", "value": "power", "sha256": sha}
    for bad, fld in [
        ({"value": "powr"}, "value"),
        ({"kind": "gif"}, "kind"),
        ({"platform": ""}, "platform"),
        ({"sha256": "0" * 64}, "sha256"),
        ({"keywords": [1]}, "keywords"),
        ({"caption": 3}, "caption"),
        ({"value_weights": {"power": 2}}, "value_weights.power"),
    ]:
        manifest = _manifest(tmp_path, [good, good | {"id": "b"} | bad])
        err = _error(manifest)
        assert (err.line, err.field) == (2, fld)
