"""Keep secrets out of report files: API keys from the environment and key-shaped tokens.

Reports are built from records (text, verdicts, item metadata), never from request settings,
but an adapter's error message or a model's echo could still carry a key; every text cell of
every report file passes through :func:`redact` before it is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

MASK = "[REDACTED]"
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
_MIN_SECRET_LEN = 8  # shorter values ("1", "true") are settings, not secrets
_TOKEN_SHAPES = re.compile(
    r"\bsk-[A-Za-z0-9_\-]{12,}"  # OpenAI-style keys
    r"|\bhf_[A-Za-z0-9]{20,}"  # Hugging Face tokens
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}"  # GitHub tokens
    r"|(?<=Bearer )[A-Za-z0-9._\-~+/=]{8,}",  # authorization headers
)


_MARKERS = ("sk-", "hf_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "Bearer ")
"""Text every token shape above contains: where none occurs, the regex cannot match (a few
substring scans are far cheaper than the regex on every cell of a 550k-row responses.csv)."""


def _may_hold_token(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values of environment variables whose names say they hold a secret, longest first."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= _MIN_SECRET_LEN}
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` with every known secret value and key-shaped token replaced by a mask."""
    for secret in secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _TOKEN_SHAPES.sub(MASK, text) if _may_hold_token(text) else text


def redact_cells(cells: list[str], secrets: tuple[str, ...]) -> list[str]:
    """:func:`redact` on every cell of a row, checking the row once first: a row with no
    secret value and no key-shaped token anywhere (nearly all) is returned as it is.

    The cells are joined with a separator no token shape or word boundary crosses, so the row
    matches exactly when some cell does (a secret value spanning two cells only costs the
    slow path)."""
    joined = "\x1f".join(cells)
    clean = not _may_hold_token(joined) or _TOKEN_SHAPES.search(joined) is None
    if clean and not any(s in joined for s in secrets):
        return cells
    return [redact(cell, secrets) for cell in cells]
