"""A model folder's recorded TTT lift: the `ttt_lift` object of its marker file (arc_ttt_model.json).

Read without torch or the weights: the ensemble asks before it decides whether to load the model at all.
Written by `arc-ttt measure-lift --record`, in place of any earlier record, with the marker's other fields kept.
"""

from __future__ import annotations

import json
from pathlib import Path

from arc_ttt.adapters.durable_files import write_text_atomic
from arc_ttt.adapters.models.model_loading import MARKER_FILE, ModelLoadError
from arc_ttt.domain.errors import message_line
from arc_ttt.domain.records import json_object
from arc_ttt.domain.ttt.lift import TTTLift

LIFT_KEY = "ttt_lift"


class MarkerLiftRecords:
    """`LiftRecords` over model folders. A hub id, a folder without a marker file, or a marker without
    `ttt_lift` records nothing; a marker or record that cannot be read is a ModelLoadError naming the file."""

    def lift_of(self, model: str) -> TTTLift | None:
        marker = Path(model).expanduser() / MARKER_FILE
        if not marker.is_file():
            return None
        raw = _marker(marker)
        if raw.get(LIFT_KEY) is None:
            return None
        try:
            return TTTLift.from_json(json_object(raw[LIFT_KEY], LIFT_KEY))
        except (KeyError, TypeError, ValueError) as exc:
            what = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else message_line(exc)
            raise ModelLoadError(f"{marker}: {LIFT_KEY} is not a lift record ({what})") from None

    def ensure_recordable(self, model: str) -> None:
        _marker(self._marker_path(model))

    def record(self, model: str, lift: TTTLift) -> str:
        marker = self._marker_path(model)
        raw = _marker(marker)
        write_text_atomic(marker, json.dumps({**raw, LIFT_KEY: lift.to_json()}, indent=2) + "\n")
        return str(marker)

    @staticmethod
    def _marker_path(model: str) -> Path:
        marker = Path(model).expanduser() / MARKER_FILE
        if not marker.is_file():
            raise ModelLoadError(f"{model}: not a model folder made by arc-ttt (no {MARKER_FILE}), so it has nowhere "
                                 "to keep a lift record")
        return marker


def _marker(marker: Path) -> dict[str, object]:
    try:
        return dict(json_object(json.loads(marker.read_text(encoding="utf-8")), MARKER_FILE))
    except (OSError, ValueError, TypeError) as exc:
        raise ModelLoadError(f"{marker}: not a readable JSON object ({message_line(exc)[:120]})") from None
