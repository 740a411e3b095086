"""Baselines as syrupy snapshots: one readable JSON file per case under ``snapshots/<model>/``.

A small syrupy extension stores payloads as pretty JSON and *matches with tolerance* (the
same comparison the gate uses), so ``--snapshot-update`` rewrites only the cases that moved
beyond tolerance or went stale, and a pull request shows only real changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from valspec.measure.baseline import dump_payload, parse_json, read_baseline
from valspec.measure.drift import Comparison, Payload, compare_payload

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion

ToleranceFn = Callable[[Payload], float]


def make_extension(
    directory: Path,
    tolerance: ToleranceFn,
    moved: Callable[[], bool | None] = lambda: None,
    *,
    update: bool = True,
) -> type[SingleFileSnapshotExtension]:
    """A syrupy extension class storing JSON payloads in ``directory``, matched with tolerance.

    ``moved()`` is the gate's verdict on the case (None: the gate does not judge it). A case
    the gate failed never matches, so an update rewrites it. Outside an update, a case the gate
    passed matches unless its baseline is stale or missing: a move beyond tolerance that the
    gate calls noise is not reported as a failed snapshot (syrupy's count then equals the
    failing cases); an update still rewrites it.
    """

    class ValspecSnapshotExtension(SingleFileSnapshotExtension):
        file_extension = "json"
        _write_mode = WriteMode.TEXT

        @classmethod
        def dirname(cls, *, test_location: Any) -> str:
            return str(directory)

        @classmethod
        def discovery_dirname(cls, *, test_location: Any) -> str:
            return str(directory)

        @classmethod
        def matches_test_location(cls, *, test_location: Any, snapshot_location: str) -> bool:
            # Files live by model, not by test module: a file belongs to a test when it sits
            # in this model's folder under the test's name (``test_value_preference[power]``).
            location = Path(snapshot_location)
            name = cls.get_snapshot_name(test_location=test_location, index=0)
            return location.parent == directory and location.stem == name

        @classmethod
        def write_snapshot_collection(cls, *, snapshot_collection: Any, **kwargs: Any) -> None:
            """Write the file atomically (a temporary file renamed over it), so an xdist worker
            reading baselines never sees another worker's half-written snapshot."""
            path = Path(snapshot_collection.location)
            text = next(iter(snapshot_collection)).data
            if not isinstance(text, str):
                raise TypeError(f"can't write a snapshot of {type(text).__name__}, expected str")
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)

        def serialize(self, data: Any, **kwargs: Any) -> str:
            return dump_payload(data)

        def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
            try:  # unchanged (the usual case), both are the same text: parsed once
                current, stored = parse_json(serialized_data), parse_json(snapshot_data)
            except (TypeError, json.JSONDecodeError):
                return False
            gate_failed = moved()
            if gate_failed:  # the gate failed this case: an update must rewrite its baseline
                return False
            comparison = compare_payload(current, stored, tolerance(current))
            if gate_failed is None or update:
                return not comparison.failed
            return comparison.status in ("pass", "drift")

    return ValspecSnapshotExtension


class BaselineCheck:
    """Check one case's payload against its baseline; record or update it through syrupy."""

    def __init__(
        self,
        snapshot: SnapshotAssertion,
        directory: Path,
        tolerance: ToleranceFn,
        *,
        update: bool,
        model: str,
    ) -> None:
        self._moved: bool | None = None
        extension = make_extension(directory, tolerance, lambda: self._moved, update=update)
        self.snapshot = snapshot.use_extension(extension)
        self.tolerance = tolerance
        self.update = update
        self.model = model
        self.directory = directory

    @property
    def path(self) -> Path:
        """The snapshot file of this test."""
        ext = self.snapshot.extension
        return Path(ext.get_location(test_location=self.snapshot.test_location, index=0))

    def compare(self, payload: Payload, *, moved: bool | None = None) -> Comparison:
        """Compare with the stored baseline and let syrupy record (or, updating, write) it;
        ``moved`` is the gate's verdict (True: failed), None where the gate does not judge."""
        baseline = read_baseline(self.path)
        comparison = compare_payload(payload, baseline, self.tolerance(payload))
        # Always go through syrupy: it marks the snapshot as used and, when updating, writes it
        # (the comparison above, not syrupy's generic diff, decides and explains a failure).
        self._moved = moved  # the gate's verdict decides what --snapshot-update rewrites
        self.matched = self.snapshot == payload
        return comparison

    def failure(self, comparison: Comparison) -> str | None:
        """Why the case fails against its baseline, or None (never fails while updating)."""
        if self.update:
            return None
        if comparison.status == "new":
            return (
                f"no baseline for {comparison.name} at {self.path}. Record one with "
                f"`pytest --model={self.model} --snapshot-update` and commit {self.directory}."
            )
        return comparison.message if comparison.failed else None
