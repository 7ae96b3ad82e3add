"""Small honest fakes of the ports, for unit tests of the domain and the use cases only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.ports import TaskLoad, TaskSource
from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Task
from arc_ttt.domain.checkpoints.ports import CheckpointInfo
from arc_ttt.domain.errors import ArcTttError, CheckpointIntegrityError, OutOfMemory, TaskFormatError
from arc_ttt.domain.resources.hardware import CudaDevice, HardwareInfo, MemorySample
from arc_ttt.domain.solving.ports import ResultStore
from arc_ttt.domain.solving.results import TaskResult, TaskStatus
from arc_ttt.domain.ttt.examples import Evaluation, StepLoss, TTTExample
from arc_ttt.domain.ttt.lift import TTTLift
from arc_ttt.domain.ttt.ports import PretrainCheckpoint, PretrainSetup
from arc_ttt.domain.ttt.pretraining import PretrainProgress


class FakeClock:
    """A clock that only moves when told to (or by `tick` on every reading)."""

    def __init__(self, start: float = 0.0, tick: float = 0.0) -> None:
        self.time = start
        self.tick = tick

    def now(self) -> float:
        self.time += self.tick
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def sleep(self, seconds: float) -> None:
        self.time += seconds


class InMemoryTaskSource:
    def __init__(self, tasks: list[Task], problems: list[TaskFormatError] | None = None, name: str = "memory") -> None:
        self._tasks = tasks
        self._problems = problems or []
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def load(self) -> TaskLoad:
        return TaskLoad(tuple(self._tasks), tuple(self._problems))


class InMemoryResultStore:
    def __init__(self) -> None:
        self.rows: dict[str, TaskResult] = {}
        self.meta: dict[str, str] = {}
        self.notices: tuple[str, ...] = ()
        self.closed = False

    def record(self, result: TaskResult) -> None:
        self.rows[result.task_id] = result

    def results(self) -> list[TaskResult]:
        return [self.rows[k] for k in sorted(self.rows)]

    def final_task_ids(self) -> set[str]:
        return {k for k, r in self.rows.items() if r.status is not TaskStatus.OUT_OF_TIME}

    def clear(self) -> None:
        self.rows.clear()

    def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    def close(self) -> None:
        self.closed = True


class InMemoryWorkQueue:
    """Claims in task id order, each task to one owner until completed; leases never expire on their own
    (there is no time here), but `release_leases` hands them back as when every worker is gone."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}  # task id -> pending | leased | done
        self.owners: dict[str, str] = {}

    def seed(self, task_ids: Sequence[str], *, reset: bool) -> None:
        if reset:
            self.states.clear()
            self.owners.clear()
        for task_id in task_ids:
            self.states.setdefault(task_id, "pending")

    def claim(self, owner: str, lease_seconds: float) -> str | None:
        task_id = next((t for t in sorted(self.states) if self.states[t] == "pending"), None)
        if task_id is not None:
            self.states[task_id], self.owners[task_id] = "leased", owner
        return task_id

    def renew(self, owner: str, task_id: str, lease_seconds: float) -> bool:
        return self.states.get(task_id) == "leased" and self.owners.get(task_id) == owner

    def complete(self, owner: str, task_id: str) -> None:
        self.states[task_id], self.owners[task_id] = "done", owner

    def pending(self) -> int:
        return sum(state != "done" for state in self.states.values())

    def release_leases(self) -> int:
        leased = [t for t, state in self.states.items() if state == "leased"]
        for task_id in leased:
            self.states[task_id] = "pending"
            self.owners.pop(task_id, None)
        return len(leased)


class InMemoryWorkQueues:
    """Opens one queue per result store, as the SQL queue lives in its store's database."""

    def __init__(self) -> None:
        self.opened: list[tuple[ResultStore, InMemoryWorkQueue]] = []

    def __call__(self, store: ResultStore, /) -> InMemoryWorkQueue:
        for known, queue in self.opened:
            if known is store:
                return queue
        self.opened.append((store, InMemoryWorkQueue()))
        return self.opened[-1][1]


class InMemoryRunFiles:
    """Keeps each file a run writes as its JSON text, by path (`read_json` decodes one again)."""

    def __init__(self) -> None:
        self.texts: dict[Path, str] = {}

    def write_json(self, path: Path, data: object) -> None:
        self.texts[Path(path)] = json.dumps(data)

    def read_json(self, path: Path) -> object:
        return json.loads(self.texts[Path(path)])


class InMemorySourceSpecs:
    """Specs that name a source; `reopen` gives back only the sources it was told of (`known`)."""

    def __init__(self, known: Sequence[TaskSource] = ()) -> None:
        self.known = {source.name: source for source in known}

    def spec_of(self, source: TaskSource) -> dict[str, str]:
        return {"kind": "memory", "name": source.name}

    def reopen(self, spec: Mapping[str, object]) -> TaskSource | None:
        return self.known.get(str(spec.get("name"))) if spec.get("kind") == "memory" else None


class InMemorySubmissions:
    """Submission files as decoded JSON, by path; an unknown path is a missing file."""

    def __init__(self, files: Mapping[Path, object]) -> None:
        self.files = {Path(path): data for path, data in files.items()}

    def read(self, path: Path) -> object:
        if Path(path) not in self.files:
            raise TaskFormatError("file not found", origin=str(path))
        return self.files[Path(path)]


class ScriptedSolver:
    """Answers from a script: a TaskSolution, an exception to raise, or anything else to return as is.
    It also advances a fake clock, so budget policies can be tested without waiting."""

    def __init__(self, answers: dict[str, object], clock: FakeClock | None = None, seconds: float = 0.0,
                 name: str = "scripted") -> None:
        self.answers = answers
        self.clock = clock
        self.seconds = seconds
        self.name = name
        self.calls: list[tuple[str, float]] = []

    def solve(self, task: Task, time_limit: float) -> TaskSolution:
        self.calls.append((task.id, time_limit))
        if self.clock is not None:
            self.clock.advance(self.seconds)
        answer = self.answers.get(task.id, TaskSolution.empty(len(task.test)))
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[return-value]


class GatedScriptedSolver(ScriptedSolver):
    """A ScriptedSolver that, asked through a gate (as the ensemble asks TTT), first shows the gate its held-out
    figure, as TTT does after its fit, and answers only if the gate lets it (else no candidates)."""

    def __init__(self, answers: dict[str, object], held_out: float | None, **kwargs: Any) -> None:
        super().__init__(answers, **kwargs)
        self.held_out = held_out
        self.gate_said: list[str] = []

    def solve_gated(self, task: Task, time_limit: float, gate: Callable[[float | None], str]) -> TaskSolution:
        self.calls.append((task.id, time_limit))
        said = gate(self.held_out)
        self.gate_said.append(said)
        if said:
            return TaskSolution(tuple(() for _ in task.test), None, held_out_exact=self.held_out)
        return self.solve(task, time_limit)


class InMemoryLiftRecords:
    """Lift records kept in a dict by model name (a model not in it records none)."""

    def __init__(self, lifts: Mapping[str, TTTLift] | None = None, read_only: frozenset[str] = frozenset()) -> None:
        self.lifts = dict(lifts or {})
        self.read_only = read_only  # models that cannot keep a record (a hub id)
        self.asked: list[str] = []

    def lift_of(self, model: str) -> TTTLift | None:
        self.asked.append(model)
        return self.lifts.get(model)

    def ensure_recordable(self, model: str) -> None:
        if model in self.read_only:
            raise ArcTttError(f"{model}: cannot keep a record")

    def record(self, model: str, lift: TTTLift) -> str:
        self.ensure_recordable(model)
        self.lifts[model] = lift
        return f"memory:{model}"


class InMemoryCheckpointRepository:
    """Keeps adapter bytes in a dict; hashes are real so integrity logic can be exercised."""

    def __init__(self) -> None:
        self.items: list[tuple[CheckpointInfo, bytes]] = []
        self.last_version: dict[str, int] = {}

    def save(self, task_id: str, weights: bytes, *, base_model: str, base_model_hash: str,
             lora_config: Mapping[str, object], metrics: Mapping[str, float],
             tags: Sequence[str] = ()) -> CheckpointInfo:
        self.last_version[task_id] = version = self.last_version.get(task_id, 0) + 1  # never reused
        info = CheckpointInfo(task_id, version, base_model, base_model_hash, dict(lora_config), dict(metrics),
                              tuple(tags), "1970-01-01T00:00:00", len(weights), hashlib.sha256(weights).hexdigest())
        self.items.append((info, bytes(weights)))
        return info

    def _of(self, task_id: str, base_model_hash: str | None = None) -> list[tuple[CheckpointInfo, bytes]]:
        return [(i, w) for i, w in self.items
                if i.task_id == task_id and (base_model_hash is None or i.base_model_hash == base_model_hash)]

    def latest(self, task_id: str, base_model_hash: str | None = None) -> CheckpointInfo | None:
        found = self._of(task_id, base_model_hash)
        return max(found, key=lambda p: p[0].version)[0] if found else None

    def best(self, task_id: str, metric: str, *, higher_is_better: bool = True) -> CheckpointInfo | None:
        found = [i for i, _ in self._of(task_id) if metric in i.metrics]
        if not found:
            return None
        sign = 1 if higher_is_better else -1
        return max(found, key=lambda i: (sign * i.metrics[metric], i.version))

    def load(self, info: CheckpointInfo) -> bytes:
        for stored, weights in self.items:
            if stored.task_id == info.task_id and stored.version == info.version:
                if hashlib.sha256(weights).hexdigest() != info.sha256:
                    raise CheckpointIntegrityError(f"task {info.task_id} v{info.version}: sha256 mismatch")
                return weights
        raise CheckpointIntegrityError(f"task {info.task_id} v{info.version}: missing")

    def load_latest_good(self, task_id: str, base_model_hash: str | None = None) -> tuple[CheckpointInfo, bytes] | None:
        for info, _ in sorted(self._of(task_id, base_model_hash), key=lambda p: -p[0].version):
            try:
                return info, self.load(info)
            except CheckpointIntegrityError:
                continue
        return None

    def get(self, task_id: str, version: int) -> CheckpointInfo | None:
        return next((i for i, _ in self.items if i.task_id == task_id and i.version == version), None)

    def find(self, task_id: str | None = None, *, base_model: str | None = None,
             base_model_hash: str | None = None, tag: str | None = None) -> list[CheckpointInfo]:
        found = [i for i, _ in self.items
                 if (task_id is None or i.task_id == task_id) and (base_model is None or i.base_model == base_model)
                 and (base_model_hash is None or i.base_model_hash == base_model_hash)
                 and (tag is None or tag in i.tags)]
        return sorted(found, key=lambda i: (i.task_id, i.version))

    def delete(self, task_id: str, version: int) -> bool:
        before = len(self.items)
        self.items = [(i, w) for i, w in self.items if not (i.task_id == task_id and i.version == version)]
        return len(self.items) < before


class FakeMemoryProbe:
    """Memory readings from a script: each `sample()` takes the next reading (the last one repeats).
    `free_caches` counts its calls and, when `freed_bytes` is set, makes that much more RAM available,
    like emptying a cache would; `grow_per_sample` adds to the RSS on every reading, like a leak."""

    def __init__(self, available_mb: list[float] | None = None, rss_mb: float = 500.0, freed_mb: float = 0.0,
                 grow_per_sample_mb: float = 0.0, cuda_free_mb: list[float] | None = None) -> None:
        self.available_mb = list(available_mb or [8000.0])
        self.cuda_free_mb = list(cuda_free_mb) if cuda_free_mb is not None else None
        self.rss_mb = rss_mb
        self.freed_mb = freed_mb
        self.grow_per_sample_mb = grow_per_sample_mb
        self.samples_taken = 0
        self.frees = 0
        self.peak_resets = 0
        self._bonus_mb = 0.0

    def _next(self, values: list[float]) -> float:
        return values[min(self.samples_taken, len(values) - 1)]

    def sample(self) -> MemorySample:
        mb = 1024 * 1024
        available = self._next(self.available_mb) + self._bonus_mb
        cuda_free = self._next(self.cuda_free_mb) if self.cuda_free_mb is not None else None
        rss = self.rss_mb + self.grow_per_sample_mb * self.samples_taken
        self.samples_taken += 1
        if cuda_free is None:
            return MemorySample(int(rss * mb), int(available * mb))
        return MemorySample(int(rss * mb), int(available * mb), cuda_allocated_bytes=100 * mb,
                            cuda_reserved_bytes=200 * mb, cuda_peak_bytes=300 * mb, cuda_free_bytes=int(cuda_free * mb))

    def free_caches(self) -> None:
        self.frees += 1
        self._bonus_mb += self.freed_mb

    def reset_peak(self) -> None:
        self.peak_resets += 1


class FakeHardwareProbe:
    """A machine described by hand: `gpus_gib` lists the GPU sizes (none: a CPU-only machine)."""

    def __init__(self, gpus_gib: Sequence[float] = (), cores: int = 4, ram_gib: float = 16.0) -> None:
        self.gpus_gib = list(gpus_gib)
        self.cores = cores
        self.ram_gib = ram_gib

    def probe(self) -> HardwareInfo:
        gib = 1024**3
        devices = tuple(CudaDevice(i, f"Fake GPU {i}", int(g * gib), int(g * gib * 0.9), (8, 0), True)
                        for i, g in enumerate(self.gpus_gib))
        return HardwareInfo(self.cores, int(self.ram_gib * gib), int(self.ram_gib * gib * 0.5), devices)

class FakeModelBackend:
    """A ModelBackend whose "adapter" is a counter of applied updates, so orchestrator policies can be
    checked exactly. Losses and held-out evaluations are functions of that counter (scriptable);
    `oom_above` makes any micro-batch larger than it run out of memory; generation answers through
    `answer` (default: the query input, i.e. the identity rule)."""

    def __init__(self, loss: Callable[[FakeModelBackend], float] | None = None,
                 evaluation: Callable[[FakeModelBackend], Evaluation] | None = None,
                 oom_above: int | None = None, answer: Callable[[TTTExample], Grid | None] | None = None,
                 model_hash: str = "fakehash", score: Callable[[TTTExample], float | None] | None = None,
                 fits: Callable[[TTTExample], bool] | None = None) -> None:
        self.updates = 0
        self.fits = fits or (lambda ex: True)
        self.score = score or (lambda ex: 0.0)
        self.scored = 0
        self.entropy_steps = 0
        self.remembered: int | None = None
        self.repeats: list[float] = []
        self.loss_fn = loss or (lambda b: 2.0 / (1 + b.updates))
        self.eval_fn = evaluation or (lambda b: Evaluation(2.0 / (1 + b.updates), min(1.0, 0.1 * b.updates), 10))
        self.oom_above = oom_above
        self.answer = answer or (lambda ex: ex.query.input)
        self._hash = model_hash
        self.pending = 0.0  # summed weights of micro-batches since the last update
        self.micro_batches: list[int] = []
        self.update_weights: list[float] = []  # pending weight at each update (1.0 = a full effective batch)
        self.update_sizes: list[int] = []  # examples accumulated into each update
        self._pending_examples = 0
        self.learning_rates: list[float] = []
        self.imports: list[int] = []
        self.generate_time_limits: list[float | None] = []
        self.generated = 0
        self.new_adapters = 0

    @property
    def model_name(self) -> str:
        return "fake"

    @property
    def model_hash(self) -> str:
        return self._hash

    def lora_config(self) -> Mapping[str, object]:
        return {"rank": 1}

    def new_adapter(self, seed: int) -> None:
        self.updates, self.pending, self._pending_examples = 0, 0.0, 0
        self.new_adapters += 1

    def accumulate(self, batch: Sequence[TTTExample], weight: float) -> StepLoss:
        if self.oom_above is not None and len(batch) > self.oom_above:
            raise OutOfMemory(f"fake: {len(batch)} examples do not fit")
        self.micro_batches.append(len(batch))
        self.pending += weight
        self._pending_examples += len(batch)
        return StepLoss(self.loss_fn(self), 10 * len(batch), 5 * len(batch))

    def apply_update(self, learning_rate: float) -> None:
        self.update_weights.append(round(self.pending, 9))
        self.update_sizes.append(self._pending_examples)
        self.learning_rates.append(learning_rate)
        self.pending, self._pending_examples = 0.0, 0
        self.updates += 1

    def discard_gradients(self) -> None:
        self.pending, self._pending_examples = 0.0, 0

    def evaluate(self, examples: Sequence[TTTExample]) -> Evaluation:
        return self.eval_fn(self)

    def generate(self, prompts: Sequence[TTTExample], max_seconds: float | None = None) -> list[Grid | None]:
        self.generated += len(prompts)
        self.generate_time_limits.append(max_seconds)
        return [self.answer(p) for p in prompts]

    def prompts_fit(self, prompts: Sequence[TTTExample]) -> list[bool]:
        """`fits(example)` per prompt (default: every prompt fits)."""
        return [self.fits(p) for p in prompts]

    def demonstrations_kept(self, prompts: Sequence[TTTExample]) -> list[int]:
        """Every demonstration of a prompt that `fits`, none of one that does not."""
        return [len(p.demonstrations) if self.fits(p) else 0 for p in prompts]

    def score_answers(self, prompts: Sequence[TTTExample]) -> list[float | None]:
        """`score(example)` per prompt (default: 0.0 for every answer)."""
        self.scored += len(prompts)
        return [self.score(p) for p in prompts]

    def entropy_step(self, examples: Sequence[TTTExample], weight: float) -> StepLoss:
        """Entropy falls as updates accumulate, like the training loss; counted in `entropy_steps`."""
        self.entropy_steps += 1
        self.pending += weight
        return StepLoss(1.0 / (1 + self.updates), 10 * len(examples), 5 * len(examples))

    def remember_parameters(self) -> None:
        self.remembered = self.updates

    def repeat_last_update(self, scale: float) -> None:
        """The "adapter" is the update counter: repeating an update counts as one more, noted with its scale."""
        self.repeats.append(scale)
        self.updates += 1

    def export_adapter(self) -> bytes:
        return json.dumps({"updates": self.updates}).encode()

    def import_adapter(self, weights: bytes) -> None:
        self.updates = int(json.loads(weights)["updates"])
        self.pending, self._pending_examples = 0.0, 0
        self.imports.append(self.updates)

    def save_adapter(self, directory: Path) -> None:
        (directory / "fake_adapter.json").write_bytes(self.export_adapter())

    def load_adapter(self, directory: Path) -> None:
        self.import_adapter((directory / "fake_adapter.json").read_bytes())

    def merge_adapter(self) -> None:
        raise NotImplementedError("the fake has no base weights to merge into")


class FakePretrainer:
    """The trainer the pretrain use case drives: encodes an episode as its grids, "trains" by counting
    cells, and saves its progress as JSON, so the use case's budgets, resume and data can be checked
    without torch. `seen` keeps every episode it was given to encode, `batches` every batch it stepped on."""

    STATE = "pretrain_state.json"

    def __init__(self, options: PretrainSetup, resume_from: Path | None, clock: FakeClock | None = None,
                 seconds_per_step: float = 1.0) -> None:
        self.options = options
        self.resume_from = resume_from
        self.clock = clock
        self.seconds_per_step = seconds_per_step
        self.seen: list[TTTExample] = []
        self.batches: list[list[TTTExample]] = []
        self.rates: list[float] = []
        self.parameters = 1000
        self.loss_on = "outputs"

    def encode(self, example: TTTExample) -> TTTExample:
        self.seen.append(example)
        return example

    def tokens(self, encoded: TTTExample) -> int:
        return sum(g.height * (g.width + 1) for d in (*encoded.demonstrations, encoded.query)
                   for g in (d.input, d.output) if g is not None)

    def step(self, batch: list[TTTExample], learning_rate: float) -> StepLoss:
        self.batches.append(list(batch))
        self.rates.append(learning_rate)
        if self.clock is not None:
            self.clock.advance(self.seconds_per_step)
        cells = sum(g.height * g.width for ex in batch for d in (*ex.demonstrations, ex.query)
                    for g in (d.input, d.output) if g is not None)
        return StepLoss(1.0 / (1 + len(self.rates)), cells, len(batch))

    def save(self, directory: Path, progress: object, extra: Mapping[str, object]) -> None:
        from dataclasses import asdict

        directory.mkdir(parents=True, exist_ok=True)
        state = {"progress": asdict(progress), "trainer": asdict(self.options),  # type: ignore[call-overload]
                 "optimizer": {"param_groups": [], "state": {}}, "optimizer_shards": [], **extra}
        (directory / self.STATE).write_text(json.dumps(state))


class FakePretrainingBackend:
    """FakePretrainers (kept in `trainers`), and the last save read back from the JSON state they write."""

    def __init__(self, clock: FakeClock | None = None, trainers: list[FakePretrainer] | None = None) -> None:
        self.clock = clock
        self.trainers = trainers if trainers is not None else []

    def last_save(self, directory: Path) -> PretrainCheckpoint | None:
        path = directory / FakePretrainer.STATE
        if not path.is_file():
            return None
        state = json.loads(path.read_text())
        trainer = state["trainer"]
        return PretrainCheckpoint(trainer["size"], trainer["seed"], trainer["max_length"],
                                  PretrainProgress(**state["progress"]))

    def trainer(self, setup: PretrainSetup, resume_from: Path | None) -> FakePretrainer:
        self.trainers.append(FakePretrainer(setup, resume_from, self.clock))
        return self.trainers[-1]
