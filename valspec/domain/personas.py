"""Personas a model is asked to play, read from TOML files and validated with located errors.

A persona names the values it should raise (and optionally lower) so the suite can check
that taking it on moves the model's value profile the right way.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from valspec.domain.errors import DataError, UnknownNameError
from valspec.domain.values import Value, parse_value

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = {"id", "name", "description", "raises", "lowers", "traits", "source", "min_shift"}
MAX_TRAIT_LENGTH = 200  # characters; Persona-Chat traits are one short sentence each


@dataclass(frozen=True)
class Persona:
    """Someone the model is asked to be while judging videos."""

    id: str
    name: str
    description: str
    raises: tuple[Value, ...]
    lowers: tuple[Value, ...] = ()
    traits: tuple[str, ...] = ()
    source: str = ""
    file: Path | None = None
    min_shift: float | None = None  # overrides [tool.valspec] persona_min_shift for this persona

    @property
    def prompt_text(self) -> str:
        """What the model is told about the persona: the description, then any traits."""
        if not self.traits:
            return self.description
        listed = "\n".join(f"- {t}" for t in self.traits)
        return f"{self.description}\n{listed}" if self.description else listed


def load_persona(path: Path) -> Persona:
    """Read one persona TOML file; raise :class:`DataError` naming the file and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"invalid TOML: {exc}", file=path) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", file=path) from None
    return persona_from_table(data, path)


def persona_from_table(data: dict[str, Any], path: Path) -> Persona:
    """Validate a persona table read from ``path``."""

    def fail(fld: str, message: str) -> DataError:
        return DataError(message, file=path, field=fld)

    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key; known keys: {', '.join(sorted(_KEYS))}")

    def text(fld: str, *, required: bool) -> str:
        raw = data.get(fld, "")
        if not isinstance(raw, str):
            raise fail(fld, f"expected a string, got {raw!r}")
        if required and not raw.strip():
            raise fail(fld, "missing or empty")
        return raw.strip()

    persona_id = text("id", required=True)
    if not _ID.match(persona_id):
        raise fail("id", f"{persona_id!r} must be lowercase letters, digits and hyphens")

    def values(fld: str) -> tuple[Value, ...]:
        raw = data.get(fld, [])
        if not isinstance(raw, list):
            raise fail(fld, f"expected a list of value names, got {raw!r}")
        parsed: list[Value] = []
        for index, name in enumerate(raw):
            try:
                value = parse_value(str(name))
            except KeyError as exc:
                raise fail(f"{fld}[{index}]", str(exc)) from None
            if value in parsed:
                raise fail(f"{fld}[{index}]", f"{value.value!r} is listed twice")
            parsed.append(value)
        return tuple(parsed)

    raises, lowers = values("raises"), values("lowers")
    if not raises:
        raise fail("raises", "a persona must name at least one value it raises")
    both = set(raises) & set(lowers)
    if both:
        raise fail("lowers", f"{sorted(v.value for v in both)} also listed in raises")
    traits = _traits(data.get("traits", []), fail)
    min_shift = data.get("min_shift")
    if min_shift is not None and (
        isinstance(min_shift, bool) or not isinstance(min_shift, int | float) or min_shift <= 0
    ):
        raise fail("min_shift", f"expected a positive number of points, got {min_shift!r}")
    description = text("description", required=not traits)
    return Persona(
        id=persona_id,
        name=text("name", required=False) or persona_id,
        description=description,
        raises=raises,
        lowers=lowers,
        traits=traits,
        source=text("source", required=False),
        file=path,
        min_shift=None if min_shift is None else float(min_shift),
    )


def _traits(raw: object, fail: Callable[[str, str], DataError]) -> tuple[str, ...]:
    """Persona-Chat style traits: short, distinct, non-empty first-person sentences."""
    if not isinstance(raw, list):
        raise fail("traits", f"expected a list of strings, got {raw!r}")
    traits: list[str] = []
    for index, trait in enumerate(raw):
        where = f"traits[{index}]"
        if not isinstance(trait, str) or not trait.strip():
            raise fail(where, f"expected a non-empty string, got {trait!r}")
        if len(trait.strip()) > MAX_TRAIT_LENGTH:
            raise fail(where, f"longer than {MAX_TRAIT_LENGTH} characters; keep one short sentence")
        if trait.strip().lower() in (t.lower() for t in traits):
            raise fail(where, f"duplicate trait {trait.strip()!r}")
        traits.append(trait.strip())
    return tuple(traits)


def load_personas(folder: Path) -> list[Persona]:
    """Every ``*.toml`` persona in a folder, sorted by id; ids must be unique."""
    if not folder.is_dir():
        raise DataError("persona folder not found", file=folder)
    personas: dict[str, Persona] = {}
    for path in sorted(folder.glob("*.toml")):
        persona = load_persona(path)
        if persona.id in personas:
            first = personas[persona.id].file
            raise DataError(f"duplicate persona id {persona.id!r} (also in {first})", file=path)
        personas[persona.id] = persona
    if not personas:
        raise DataError("no *.toml persona files in this folder", file=folder)
    return sorted(personas.values(), key=lambda p: p.id)


def select_personas(personas: Sequence[Persona], ids: Iterable[str] | None) -> list[Persona]:
    """The personas with the given ids (all when None); unknown ids raise with a suggestion."""
    if ids is None:
        return list(personas)
    by_id = {p.id: p for p in personas}
    chosen = []
    for persona_id in ids:
        if persona_id not in by_id:
            raise UnknownNameError("persona", persona_id, sorted(by_id))
        chosen.append(by_id[persona_id])
    return chosen
