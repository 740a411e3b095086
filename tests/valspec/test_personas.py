from __future__ import annotations

from pathlib import Path

import pytest

from valspec.errors import DataError, UnknownNameError
from valspec.personas import load_persona, load_personas, select_personas
from valspec.values import GROUPS, Value

REPO_PERSONAS = Path(__file__).resolve().parents[2] / "fixtures" / "personas"


def test_bundled_personas_cover_the_paper_and_every_group() -> None:
    personas = {p.id: p for p in load_personas(REPO_PERSONAS)}
    assert {"family-oriented", "adventurous-spirit", "tradition-respecting"} <= set(personas)
    for group in GROUPS:
        assert any(
            set(p.raises) <= set(group.values) and len(p.raises) >= 2 for p in personas.values()
        ), group.name
    family = personas["family-oriented"]
    assert Value.BENEVOLENCE in family.raises and Value.STIMULATION in family.lowers


def _persona(tmp_path: Path, body: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


GOOD = 'id = "x"\ndescription = "someone"\nraises = ["power"]\n'


def test_traits_only_persona(tmp_path: Path) -> None:
    persona = load_persona(
        _persona(
            tmp_path,
            'id = "boat"\ntraits = ["i own a boat", "i love fishing"]\nraises = ["hedonism"]\n',
        )
    )
    assert persona.prompt_text == "- i own a boat\n- i love fishing"


@pytest.mark.parametrize(
    ("body", "field", "needle"),
    [
        ('id = "x"\ndescription = "d"\nraises = ["powr"]\n', "raises[0]", "Did you mean 'power'"),
        ('id = "x"\ndescription = "d"\n', "raises", "at least one value"),
        ('id = "X Y"\ndescription = "d"\nraises = ["power"]\n', "id", "lowercase"),
        ('id = "x"\nraises = ["power"]\n', "description", "missing or empty"),
        (GOOD + 'lowers = ["power"]\n', "lowers", "also listed in raises"),
        (GOOD + 'colour = "red"\n', "colour", "unknown key"),
    ],
)
def test_bad_persona_files_are_located(tmp_path: Path, body: str, field: str, needle: str) -> None:
    path = _persona(tmp_path, body)
    with pytest.raises(DataError) as info:
        load_persona(path)
    assert info.value.field == field and info.value.file == str(path)
    assert needle in str(info.value)


def test_invalid_toml_and_duplicates(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="invalid TOML"):
        load_persona(_persona(tmp_path, "id = \n"))
    folder = tmp_path / "dup"
    folder.mkdir()
    _persona(folder, GOOD, "a.toml")
    _persona(folder, GOOD, "b.toml")
    with pytest.raises(DataError, match="duplicate persona id 'x'"):
        load_personas(folder)


def test_select_unknown_persona_suggests() -> None:
    personas = load_personas(REPO_PERSONAS)
    with pytest.raises(UnknownNameError, match="Did you mean 'family-oriented'"):
        select_personas(personas, ["family-orientated"])
