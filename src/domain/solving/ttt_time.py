"""Whether the ensemble gives TTT any time in a run: the user's word (`ensemble.ttt`) and, by default, the model's
own record of what TTT added on ARC training tasks (see `domain.ttt.lift`).

`auto` gives TTT time only to a model whose record shows more tasks right with TTT than with program search alone:
without that evidence a quarter of a CPU run went to TTT and never added a right answer, time program search can
use. `always` is the behaviour before records were kept; `never` keeps TTT out whatever the record says.
"""

from __future__ import annotations

from typing import Literal, get_args

from arc_ttt.domain.solving.ensemble import SwitchedOff
from arc_ttt.domain.solving.notes import SkipReason
from arc_ttt.domain.ttt.lift import TTTLift

TTTMode = Literal["auto", "always", "never"]
TTT_MODES: tuple[str, ...] = get_args(TTTMode)
PART = "ttt"  # the TTT part's name in the ensemble's notes (the TTT solver's name)


def ttt_switched_off(mode: TTTMode, model: str, lift: TTTLift | None) -> SwitchedOff | None:
    """Why the run gives TTT no time (None: it may run, on tasks where program search is not sure). `lift` is the
    model's record, read only for `auto` (pass None otherwise)."""
    if mode == "always":
        return None
    if mode == "never":
        return SwitchedOff(PART, SkipReason.SWITCHED_OFF, "switched off (ensemble.ttt: never)")
    if not model:
        return SwitchedOff(PART, SkipReason.NO_LIFT, "no TTT model is set (ttt.model), so none records a lift")
    if lift is None:
        return SwitchedOff(PART, SkipReason.NO_LIFT, f"model {model} records no lift over program search on ARC "
                           "training tasks (ttt_lift in arc_ttt_model.json); ensemble.ttt: always runs it")
    if not lift.lifts:
        return SwitchedOff(PART, SkipReason.NO_LIFT, f"model {model} records no lift over program search: "
                           f"{lift.describe()}; ensemble.ttt: always runs it")
    return None
