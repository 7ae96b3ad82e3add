"""Small builders for tasks, grids and policies used across test levels."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar, cast

from arc_ttt.adapters.models.backend import BackendOptions
from arc_ttt.adapters.solvers.program_pool import ProgramPoolConfig
from arc_ttt.application.bootstrap import solver_wiring, ttt_wiring
from arc_ttt.application.config.settings import EnsembleSettings, ProgramSettings
from arc_ttt.application.config.ttt_settings import TTTSettings
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.programs.program_search import ProgramNote, ProgramSearchOptions
from arc_ttt.domain.resources.hardware import MemoryReading, MemorySample
from arc_ttt.domain.solving.ensemble import EnsemblePolicy
from arc_ttt.domain.solving.notes import PartNote, PartOutcome, TaskNotes
from arc_ttt.domain.ttt.mit_strategy import MitTTTOptions
from arc_ttt.domain.ttt.notes import EntropyNote, ReusedAdapter, TrainingNote, TTTNote
from arc_ttt.domain.ttt.service import ServiceOptions
from arc_ttt.domain.ttt.solver import TTTSolverConfig
from arc_ttt.domain.ttt.techniques.confidence import ConfidenceRule
from arc_ttt.domain.ttt.techniques.entropy import EntropyPolicy
from arc_ttt.domain.ttt.techniques.predict_correct import PredictCorrectPolicy
from arc_ttt.domain.ttt.techniques.scoring import ScoringOptions
from arc_ttt.domain.ttt.training import TrainingPolicy

# The settings at their declared defaults (the TTT knobs as the `default` preset). Policies and options are built
# from them the way the application builds them, then `changes` are laid over: a test names only what it is about.
TTT_DEFAULTS = TTTSettings()
PROGRAM_DEFAULTS = ProgramSettings()
ENSEMBLE_DEFAULTS = EnsembleSettings()

N = TypeVar("N")


def grid(*rows: str) -> Grid:
    """grid("012", "340") -> a 2x3 grid; one digit per cell."""
    return Grid(tuple(tuple(int(c) for c in row) for row in rows))


def notes_of(solution: TaskSolution[N]) -> N:
    """The notes a solver handed up, which the test expects it to have written."""
    assert solution.notes is not None, "the solver left no notes"
    return solution.notes


def full_notes(batch_index: int = 0) -> TaskNotes:
    """Notes of every kind, each field set, as an ensemble run with a memory probe on a GPU leaves them."""
    training = TrainingNote(3120, 0.207, 15096.3, 2, "max steps", 1, 2, 3, 2.43016, 2.38713, 0.64481, 0.6448, 0.25)
    ttt = TTTNote("tiny", 8, 16, 3.15, training=training, adapter_version=2,
                  entropy=EntropyNote(2, 96, "steps done", 1.2345, 0.9876), scored=12)
    memory = MemoryReading(MemorySample(487071744, 22540054528, 1 << 20, 2 << 20, 3 << 20, 4 << 20), batch_index, 1)
    parts = (PartNote("ttt", PartOutcome.RANKED, "after the fallback guesses: held-out exact 0.25 < 0.5"),
             PartNote("other", PartOutcome.FAILED, "RuntimeError: boom"))
    return TaskNotes(ProgramNote(3, "local rule -> by object width (5 cases)", 7.019), ttt, memory, parts)


def reused_notes() -> TaskNotes:
    """Notes of a task whose TTT part reused a stored adapter, and whose program search overran."""
    reused = ReusedAdapter(1, {"steps": 2.0, "train_seconds": 0.0418, "train_tokens": 408.0, "val_exact": 0.0})
    return TaskNotes(ProgramNote(error="search overran its time limit"), TTTNote("tiny", 2, 2, 0.49, reused=reused),
                     parts=(PartNote("ttt", PartOutcome.RANKED, "after the fallback guesses: no held-out check"),))


def random_grid(rng: random.Random, height: int, width: int, colors: int = 10) -> Grid:
    return Grid(tuple(tuple(rng.randrange(colors) for _ in range(width)) for _ in range(height)))


def symmetry_task(task_id: str, sym: Dihedral, *, seed: int = 0, pairs: int = 3, size: tuple[int, int] = (4, 5),
                  with_solution: bool = True) -> Task:
    """A task whose rule is one dihedral symmetry, on random grids."""
    rng = random.Random(seed)
    train = tuple(Example(g, sym.apply(g)) for g in (random_grid(rng, *size) for _ in range(pairs)))
    test_in = random_grid(rng, *size)
    return Task(task_id, train, (Example(test_in, sym.apply(test_in) if with_solution else None),))


def task_json(task: Task) -> dict:
    def ex(e: Example) -> dict:
        d = {"input": e.input.to_list()}
        if e.output is not None:
            d["output"] = e.output.to_list()
        return d

    return {"train": [ex(e) for e in task.train], "test": [ex(e) for e in task.test]}


def write_task_dir(folder: Path, tasks: list[Task]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        (folder / f"{task.id}.json").write_text(json.dumps(task_json(task)))
    return folder


def write_broken_files(folder: Path) -> dict[str, str]:
    """One broken task file per kind of problem; returns file name -> a word its error must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    ok_pair = {"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]}
    cases = {
        "bad_json.json": ("{ this is not json", "invalid JSON"),
        "ragged.json": (json.dumps({"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": [ok_pair]}),
                        "ragged"),
        "color.json": (json.dumps({"train": [{"input": [[1, 12]], "output": [[1]]}], "test": [ok_pair]}), "color"),
        "big.json": (json.dumps({"train": [{"input": [[0] * 31] * 31, "output": [[1]]}], "test": [ok_pair]}),
                     "outside 1..30"),
        "nokeys.json": (json.dumps({"train": [ok_pair]}), "missing key 'test'"),
        "noout.json": (json.dumps({"train": [{"input": [[1]]}], "test": [ok_pair]}), "missing key 'output'"),
        "float.json": (json.dumps({"train": [{"input": [[1.5]], "output": [[1]]}], "test": [ok_pair]}),
                       "not an integer"),
        "empty.json": ("", "invalid JSON"),
        "list.json": ("[1, 2, 3]", "expected a JSON object"),
        "..evil.json": (json.dumps({"train": [ok_pair], "test": [ok_pair]}), "unsafe task id"),
        "bad id$.json": (json.dumps({"train": [ok_pair], "test": [ok_pair]}), "unsafe task id"),
        "latin1.json": (b"\xff\xfe{}", "not UTF-8"),
        "huge_int.json": ('{"train": [{"input": [[1' + "0" * 5000 + ']], "output": [[1]]}], "test": []}',
                          "invalid JSON"),
        "null_out.json": (json.dumps({"train": [{"input": [[1]], "output": None}], "test": [ok_pair]}),
                          "train[0].output: no output grid"),
    }
    for name, (content, _) in cases.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return {name: word for name, (_, word) in cases.items()}


def training_policy(**changes: Any) -> TrainingPolicy:
    return replace(ttt_wiring.training_policy(TTT_DEFAULTS), **changes)


def backend_options(**changes: Any) -> BackendOptions:
    return replace(ttt_wiring.backend_options(TTT_DEFAULTS), **changes)


def data_options(**changes: Any) -> MitTTTOptions:
    return replace(ttt_wiring.data_options(TTT_DEFAULTS), **changes)


def service_options(**changes: Any) -> ServiceOptions:
    return replace(ttt_wiring.service_options(TTT_DEFAULTS), **changes)


def ttt_solver_config(**changes: Any) -> TTTSolverConfig:
    return replace(ttt_wiring.solver_config(TTT_DEFAULTS), **changes)


def confidence_rule(**changes: Any) -> ConfidenceRule:
    return replace(cast(ConfidenceRule, ttt_wiring.technique_policy(TTT_DEFAULTS.techniques, "confidence")), **changes)


def scoring_options(**changes: Any) -> ScoringOptions:
    return replace(cast(ScoringOptions, ttt_wiring.technique_policy(TTT_DEFAULTS.techniques, "scoring")), **changes)


def entropy_policy(**changes: Any) -> EntropyPolicy:
    return replace(cast(EntropyPolicy, ttt_wiring.technique_policy(TTT_DEFAULTS.techniques, "entropy")), **changes)


def predict_correct_policy(**changes: Any) -> PredictCorrectPolicy:
    policy = ttt_wiring.technique_policy(TTT_DEFAULTS.techniques, "predict_correct")
    return replace(cast(PredictCorrectPolicy, policy), **changes)


def program_search_options(**changes: Any) -> ProgramSearchOptions:
    return replace(solver_wiring.program_search_options(PROGRAM_DEFAULTS), **changes)


def program_solver_config(**changes: Any) -> ProgramPoolConfig:
    return replace(solver_wiring.program_solver_config(PROGRAM_DEFAULTS), **changes)


def ensemble_policy(**changes: Any) -> EnsemblePolicy:
    return replace(solver_wiring.ensemble_policy(ENSEMBLE_DEFAULTS), **changes)
