"""``python -m valspec.fixturegen``: build the video fixture set."""

from __future__ import annotations

from valspec.fixturegen.build import main

raise SystemExit(main())
