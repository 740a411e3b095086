from __future__ import annotations

from pathlib import Path

import pytest

from valspec.domain.errors import DataError, UnknownNameError
from valspec.domain.personas import Persona, load_persona, load_personas, select_personas
from valspec.domain.values import GROUPS, Value

REPO_PERSONAS = Path(__file__).resolve().parents[3] / "fixtures" / "personas"


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


# The label of each value and the stems a description would give it away with.
VALUE_STEMS: dict[Value, tuple[str, ...]] = {
    Value.SELF_DIRECTION: ("self-direct", "self direct", "direction"),
    Value.STIMULATION: ("stimulat",),
    Value.HEDONISM: ("hedon",),
    Value.ACHIEVEMENT: ("achiev",),
    Value.POWER: ("power",),
    Value.SECURITY: ("secur",),
    Value.CONFORMITY: ("conform",),
    Value.TRADITION: ("tradition",),
    Value.BENEVOLENCE: ("benevol",),
    Value.UNIVERSALISM: ("universal",),
}


def test_every_value_has_a_persona_that_raises_only_it() -> None:
    singles = {p.raises[0]: p for p in load_personas(REPO_PERSONAS) if len(p.raises) == 1}
    assert set(singles) >= set(Value), sorted(set(Value) - set(singles))


@pytest.mark.parametrize("persona", load_personas(REPO_PERSONAS), ids=lambda p: p.id)
def test_persona_text_never_names_its_target_values(persona: Persona) -> None:
    text = persona.prompt_text.lower()
    for value in persona.raises:
        for stem in (value.value, *VALUE_STEMS[value]):
            assert stem not in text, f"{persona.id} gives away {value.value} with {stem!r}"


def test_trait_list_personas_follow_persona_chat() -> None:
    trait_personas = [p for p in load_personas(REPO_PERSONAS) if p.traits]
    assert len(trait_personas) >= 3
    for persona in trait_personas:
        assert len(persona.traits) == 5 and not persona.description
        for trait in persona.traits:
            assert trait == trait.lower() and trait.startswith(("i ", "my ")), trait
            assert len(trait.split()) <= 10


@pytest.mark.parametrize(
    ("extra", "field", "needle"),
    [
        ('traits = ["i own a boat", ""]\n', "traits[1]", "non-empty string"),
        ('traits = ["i own a boat", "I own a boat"]\n', "traits[1]", "duplicate trait"),
        (f'traits = ["{"i " * 120}"]\n', "traits[0]", "longer than 200"),
        ('traits = "i own a boat"\n', "traits", "expected a list"),
        ("min_shift = 0\n", "min_shift", "positive number"),
        ('min_shift = "5"\n', "min_shift", "positive number"),
    ],
)
def test_bad_traits_and_min_shift_are_located(
    tmp_path: Path, extra: str, field: str, needle: str
) -> None:
    path = _persona(tmp_path, GOOD + extra)
    with pytest.raises(DataError) as info:
        load_persona(path)
    assert info.value.field == field and needle in str(info.value)


def test_min_shift_override_is_read(tmp_path: Path) -> None:
    assert load_persona(_persona(tmp_path, GOOD + "min_shift = 5\n")).min_shift == 5.0
    assert load_persona(_persona(tmp_path, GOOD, "q.toml")).min_shift is None
