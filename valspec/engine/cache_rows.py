"""How an answered query is a row of the response cache, and back.

``row_for`` turns a record into the 17 values of a ``responses`` row (the parsed fields as a
small JSON blob, the parser's version so a later parser re-reads the text); ``record_from_row``
rebuilds the record, sharing identical responses and parses (a cached model repeats them a
lot). ``COLUMNS_SQL`` reads many keys at once in the column form scorers use, as two packed
strings per chunk (see ``SQLiteStore.columns``).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from valspec.adapters.base import Response, Usage
from valspec.domain.errors import UnknownNameError
from valspec.domain.messages import AnswerFormat
from valspec.domain.prompts import NEUTRAL, template_for
from valspec.engine.queries import Record, split_condition_id
from valspec.parsing import ParsedAnswer, Verdict, parse_answer

COLUMNS = (
    "key, item_id, condition, sample_index, text, p_yes, verdict, parsed, parser, "
    "answer_format, latency_s, prompt_tokens, completion_tokens, meta, error, run_id, created"
)


@cache
def parser_version() -> str:
    """A hash of the parsing package's source: cached verdicts are re-read when it changes."""
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent / "parsing"
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# ``columns`` reads each chunk of keys as two strings (building a Python row per answer costs
# more than SQLite's own lookup): per found row, an integer packing its place in the chunk,
# verdict code, questionnaire flag and a "parse again" bit; and, for rows with a P(yes), the
# place and P(yes) printed with 17 significant digits (exact for a double). group_concat
# skips the NULLs of rows without one.
COLUMNS_SQL = """
SELECT
    group_concat(CAST(j.key AS INTEGER) * 64
        + 8 * CASE WHEN r.error IS NOT NULL THEN 4 WHEN r.verdict = 'yes' THEN 0
                   WHEN r.verdict = 'no' THEN 1 WHEN r.verdict = 'refusal' THEN 2 ELSE 3 END
        + 2 * CASE WHEN r.error IS NOT NULL OR instr(r.parsed, '"derived"') = 0
                        OR json_extract(r.parsed, '$.derived') IS NULL THEN 0
                   WHEN json_extract(r.parsed, '$.stated') IS NOT NULL
                        AND json_extract(r.parsed, '$.stated')
                            != json_extract(r.parsed, '$.derived') THEN 2
                   ELSE 1 END
        + (r.error IS NULL AND r.answer_format != '' AND r.parser != ?), ' '),
    group_concat(
        CASE WHEN r.p_yes IS NOT NULL
             THEN CAST(j.key AS INTEGER) || ' ' || printf('%!.17g', r.p_yes) END, ' ')
FROM json_each(?) AS j JOIN responses AS r ON r.key = j.value
WHERE r.error IS NULL OR r.run_id = ?
"""


_PLAIN = bytes(b for b in range(0x20, 0x7F) if b not in b'\\"')  # need no JSON escape


def json_list(keys: list[str]) -> str:
    """A JSON array of strings: hex keys need no escaping, so a join does (~10x json.dumps).

    The join is taken as is when it is ASCII and, printable characters other than quote and
    backslash set aside, only the separators' quotes are left; otherwise ``json.dumps``."""
    joined = '","'.join(keys)
    if keys and joined.isascii():
        rest = joined.encode().translate(None, _PLAIN)
        if rest == b'"' * (2 * (len(keys) - 1)):
            return f'["{joined}"]'
    return json.dumps(keys)


def numbers(text: str | None, dtype: type[np.generic]) -> np.ndarray[Any, np.dtype[Any]]:
    """The space-separated numbers of a ``group_concat`` result (None: no rows)."""
    return np.fromstring(text or "", dtype=dtype, sep=" ")


def _parsed_json(parsed: ParsedAnswer) -> str:
    fields: dict[str, Any] = {}
    if parsed.reason is not None:
        fields["reason"] = parsed.reason
    if parsed.trait is not None:
        fields["trait"] = parsed.trait
    if parsed.ratings is not None:
        fields["ratings"] = dict(parsed.ratings)
    if parsed.stated is not None:
        fields["stated"] = parsed.stated.value
    if parsed.derived is not None:
        fields["derived"] = parsed.derived.value
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False) if fields else ""


_VERDICTS = {v.value: v for v in Verdict}


def _parsed_from(verdict: str, blob: str) -> ParsedAnswer:
    if not blob:
        return ParsedAnswer(verdict=_VERDICTS[verdict])
    fields = json.loads(blob)
    stated, derived = fields.get("stated"), fields.get("derived")
    return ParsedAnswer(
        verdict=_VERDICTS[verdict],
        reason=fields.get("reason"),
        trait=fields.get("trait"),
        ratings=fields.get("ratings"),
        stated=_VERDICTS[stated] if stated else None,
        derived=_VERDICTS[derived] if derived else None,
    )


@lru_cache(maxsize=4096)
def _answer_format(condition: str) -> str:
    """The answer format a condition id asks for (``neutral``, ``neutral:paper``,
    ``<persona>/<strategy>~...``, ``...>reason`` for a follow-up turn)."""
    persona, strategy, _, turn = split_condition_id(condition)
    try:
        template = template_for(strategy, neutral=not persona and strategy != NEUTRAL)
    except UnknownNameError:
        return ""
    if turn != "first":  # a follow-up turn: its own template's format, if it has one
        follow_up = template.follow_up
        return follow_up.answer_format.value if follow_up is not None else ""
    return template.answer_format.value


def row_for(
    record: Record, version: str, run_id: str, now: float, blobs: dict[int, str]
) -> tuple[Any, ...]:
    response, parsed = record.response, record.parsed
    fmt = _answer_format(record.condition)
    blob = blobs.get(id(parsed))
    if blob is None:
        blob = blobs[id(parsed)] = _parsed_json(parsed)
    return (
        record.key,
        record.item_id,
        record.condition,
        record.sample_index,
        response.text,
        response.p_yes,
        str(parsed.verdict),
        blob,
        version,
        fmt,
        response.latency_s,
        response.usage.prompt_tokens,
        response.usage.completion_tokens,
        json.dumps(dict(response.meta), separators=(",", ":")) if response.meta else "",
        response.error,
        run_id,
        now,
    )


def record_from_row(
    row: tuple[Any, ...],
    version: str,
    parsed_cache: dict[tuple[str, ...], ParsedAnswer],
    responses: dict[tuple[Any, ...], Response],
) -> Record:
    (key, item_id, condition, sample, text, p_yes, verdict, parsed, parser, fmt) = row[:10]
    latency, prompt_tokens, completion_tokens, meta, error = row[10:15]
    # Identical responses repeat a lot (an instant or cached model): a Response is immutable,
    # so rows without meta share one object (meta is a dict: rows with meta get their own).
    shared = None if meta else (text, p_yes, latency, error, prompt_tokens, completion_tokens)
    response = responses.get(shared) if shared is not None else None
    if response is None:
        usage = _NO_USAGE
        if prompt_tokens is not None or completion_tokens is not None:
            usage = Usage(prompt_tokens, completion_tokens)
        response = Response(text, p_yes, latency, error, usage, json.loads(meta) if meta else {})
        if shared is not None:
            if len(responses) > 200_000:
                responses.clear()
            responses[shared] = response
    if parser != version and error is None and fmt:  # the parser changed: read the text again
        memo: tuple[str, ...] = ("text", fmt, text)
    else:
        memo = (verdict, parsed)
    answer = parsed_cache.get(memo)  # answers repeat a lot; a ParsedAnswer is immutable
    if answer is None:
        if len(memo) == 3:
            answer = parse_answer(text, AnswerFormat(fmt))
        else:
            answer = _parsed_from(verdict, parsed)
        if len(parsed_cache) > 200_000:
            parsed_cache.clear()
        parsed_cache[memo] = answer
    return Record(key, item_id, condition, sample, response, answer)


_NO_USAGE = Usage()
