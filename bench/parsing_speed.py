"""Answer parsing speed: µs per answer for ``valspec.parsing.parse_answer``, by kind of answer.

Times a table of answers as models write them (short decisions, decisions with reasons,
refusals, hedges, long unparsable text, JSON decisions and ISQ JSON with ratings), each with
the answer format its prompt would ask for. Each row is the best of ``--repeat`` runs of
``--number`` calls (the least disturbed by neighbours on a shared machine); the last line is
the aggregate rate over the whole table, weighting every row once.

Run: ``python bench/parsing_speed.py [--repeat N] [--number N]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from valspec.domain.messages import AnswerFormat
from valspec.parsing import parse_answer

YES_NO, JSON, ISQ = AnswerFormat.YES_NO, AnswerFormat.JSON_DECISION, AnswerFormat.ISQ

_ISQ_OBJECT = {
    "visual_appeal": 7,
    "curiosity": "6/10",
    "emotional_engagement": 8,
    "value_to_persona": 5,
    "decision": "Yes",
    "reason": "Bright colours and a clear story; it fits an adventurous persona.",
}

# (label, answer text, format the prompt asked for)
CASES: list[tuple[str, str, AnswerFormat]] = [
    ("short yes", "Yes.", YES_NO),
    ("short no", "No", YES_NO),
    ("yes + reason", "Yes, because the dancers look like they are having a lot of fun.", YES_NO),
    ("no + reason", "**No** — the music is too loud and the cuts are far too fast for me.", YES_NO),
    ("answer prefix", "My answer is no. The video feels staged and a little preachy.", YES_NO),
    (
        "refusal",
        "As an AI, I don't have personal preferences, so I can't say whether I like it.",
        YES_NO,
    ),
    ("refusal then no", "As an AI I have no preferences, but no, I would scroll past.", YES_NO),
    ("hedge", "I'm not sure. It depends on what kind of content the viewer enjoys.", YES_NO),
    ("weak yes", "Sure, I like it: the landscape shots are beautiful.", YES_NO),
    ("phrase only", "The editing is tight and honestly I would keep watching to the end.", YES_NO),
    (
        "unparsable prose",
        "The video shows a group of people hiking up a mountain at sunrise, with upbeat music, "
        "quick cuts between wide shots and close-ups, and a caption about pushing limits. "
        "The colour grading is warm and the pacing speeds up towards the summit.",
        YES_NO,
    ),
    ("json decision", '{"decision": "yes", "reason": "Calm and well shot."}', JSON),
    (
        "json fenced",
        'Here is my answer:\n```json\n{"decision": "No", "reason": "Too loud.", '
        '"trait": "calm"}\n```',
        JSON,
    ),
    ("json truncated", '{"decision": "yes", "reason": "The views are stun', JSON),
    ("json near-json", "{'decision': 'no', 'reason': 'Not my thing',}", JSON),
    ("json absent", "Yes, I like it: the story is touching.", JSON),
    ("isq json", json.dumps(_ISQ_OBJECT), ISQ),
    (
        "isq nested",
        json.dumps(
            {
                "ratings": {
                    "Visual Appeal": 4,
                    "Curiosity": 3,
                    "Emotional Engagement": 5,
                    "Value to Persona": 2,
                },
                "decision": "yes",
            }
        ),
        ISQ,
    ),
    (
        "isq lines",
        "Visual appeal: 7/10\nCuriosity: 6/10\nEmotional engagement: 8/10\n"
        "Value to persona: 5/10\nDecision: yes",
        ISQ,
    ),
]


def best_us(text: str, fmt: AnswerFormat, repeat: int, number: int) -> float:
    """Best time of one ``parse_answer(text, fmt)`` call in µs, over ``repeat`` timed loops."""
    parse_answer(text, fmt)  # warm-up: compiles the cached regexes
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            parse_answer(text, fmt)
        best = min(best, time.perf_counter() - start)
    return best / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed loops per answer")
    parser.add_argument("--number", type=int, default=500, help="calls per timed loop")
    args = parser.parse_args()

    print(f"{'answer':<18} {'format':<14} {'verdict':<11} {'µs/answer':>10}")
    total_us = 0.0
    for label, text, fmt in CASES:
        us = best_us(text, fmt, args.repeat, args.number)
        total_us += us
        verdict = parse_answer(text, fmt).verdict
        print(f"{label:<18} {fmt.value:<14} {verdict.value:<11} {us:>10.1f}")
    mean_us = total_us / len(CASES)
    print(f"\n{len(CASES)} answers, mean {mean_us:.1f} µs/answer: {1e6 / mean_us:,.0f} answers/s")


if __name__ == "__main__":
    main()
