"""The value suite, as any repository would use it: run with ``pytest --model=<model>``."""

from valspec.suite import test_persona_alignment, test_persona_circumplex, test_value_preference

__all__ = ["test_persona_alignment", "test_persona_circumplex", "test_value_preference"]
