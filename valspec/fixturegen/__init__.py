"""Deterministic generator of short-video fixture posts expressing Schwartz's ten values.

Renders TikTok / YouTube Shorts / Instagram Reels style posts (a drawn scene plus the
platform's chrome, caption and hashtags) as H.264 MP4 clips and JPEG screenshots, and
writes ``manifest.jsonl``. Run ``python -m valspec.fixturegen --out fixtures/videos``.
"""

from __future__ import annotations

from valspec.fixturegen.build import GENERATOR_VERSION, build_fixtures, main

__all__ = ["GENERATOR_VERSION", "build_fixtures", "main"]
