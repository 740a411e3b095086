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
    return _TOKEN_SHAPES.sub(MASK, text)
