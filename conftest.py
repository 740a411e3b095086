"""Repository-wide test configuration: pytester for the suite's own tests, hypothesis profiles."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
# mutmut (bench/mutation.py) runs the tests once per mutant: fewer examples keep that practical
settings.register_profile("mutation", deadline=None, max_examples=25)
if os.environ.get("MUTANT_UNDER_TEST"):
    settings.load_profile("mutation")
else:
    settings.load_profile("ci" if os.environ.get("CI") else "dev")
