"""The TTT model service: one task in, two voted attempts per test input out.

Dataset from the strategy -> a fresh adapter fit by the training orchestrator (or a stored one
reused) -> predictions under every inference view -> each mapped back through its inverse ->
hierarchical vote -> the two best grids as candidates, with their votes as scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import Candidate, TaskSolution
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.checkpoints.ports import CheckpointRepository
from arc_ttt.domain.errors import ArcTttError, InvalidGridError, OutOfMemory
from arc_ttt.domain.resources.ports import Clock
from arc_ttt.domain.ttt.augmentation import Augmentation
from arc_ttt.domain.ttt.examples import TrainingReport, TTTExample
from arc_ttt.domain.ttt.notes import EntropyNote, ReusedAdapter, TrainingNote, TTTNote
from arc_ttt.domain.ttt.ports import ModelBackend, TTTStrategy
from arc_ttt.domain.ttt.techniques.confidence import ConfidenceRule, extra_views, interleaved
from arc_ttt.domain.ttt.techniques.entropy import EntropyPolicy, sharpen
from arc_ttt.domain.ttt.techniques.predict_correct import PredictCorrectBackend, PredictCorrectPolicy
from arc_ttt.domain.ttt.techniques.scoring import ScoringOptions, combine, score_candidates
from arc_ttt.domain.ttt.training import TrainingOrchestrator, TrainingPolicy
from arc_ttt.domain.ttt.voting import Tally, Vote, hierarchical_vote

SOURCE = "ttt"
# A task is cut to twice the demonstrations its plain prompt keeps in the context (the latest ones): shuffled
# views may bring others to the end of a prompt, so they keep a choice, but a task of thousands of pairs no
# longer costs each view, each training example and each check thousands of transformed grids.
CONTEXT_SLACK = 2
# Asked after the fit with the held-out exact share (None: no held-out check): why decoding the test inputs would
# be wasted, or "" to decode them. The caller knows what the answers could still change; the service does not.
DecodeGate = Callable[[float | None], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceOptions:
    """Fields without a default come from the `ttt` settings, where their defaults are declared once."""

    training_share: float  # of a task's time limit that training may use
    generation_batch: int  # views per batched backend call (time is checked between calls)
    retrain: bool  # ignore a stored adapter and train again
    save_adapters: bool = True
    tags: tuple[str, ...] = ("ttt",)
    # techniques beyond plain TTT; None switches one off (docs/ttt.md, "Techniques")
    confidence: ConfidenceRule | None  # rounds of views with an early stop per test input
    scoring: ScoringOptions | None  # rank voted candidates by log-probability under augmentations
    entropy: EntropyPolicy | None  # entropy-minimising steps on the test inputs after training
    predict_correct: PredictCorrectPolicy | None  # skip predictable training steps


def view_of(task: Task, test_input: Grid, view: Augmentation) -> TTTExample:
    """The prompt for one test input as seen under `view` (all demonstrations, transformed)."""
    return TTTExample(view.apply_examples(task.train), Example(view.apply_grid(test_input)))


class TTTModelService:
    def __init__(
        self,
        backend: ModelBackend,
        strategy: TTTStrategy,
        policy: TrainingPolicy,
        clock: Clock,
        checkpoints: CheckpointRepository | None = None,
        *,
        options: ServiceOptions,
    ) -> None:
        self.backend = backend
        self.strategy = strategy
        self.policy = policy
        self.clock = clock
        self.checkpoints = checkpoints
        self.options = options

    def solve(self, task: Task, time_limit: float, gate: DecodeGate | None = None) -> TaskSolution[TTTNote]:
        """Two voted attempts per test input; with `gate`, none when the gate, told the held-out figure after
        the fit, says decoding them would be wasted (the fit and its note are kept)."""
        start = self.clock.now()
        deadline = start + time_limit
        task = self._within_context(task, deadline)
        views = self.strategy.inference_views(task)
        unanswerable = self._unanswerable(task, views, deadline)
        if unanswerable:
            return TaskSolution.empty(len(task.test), TTTNote(
                self.backend.model_name, len(views), predictions=0, seconds=self.clock.now() - start,
                skipped=unanswerable))
        self.backend.new_adapter(self.policy.seed)
        reused = self._reuse_adapter(task)
        training = adapter_version = None
        if reused is not None:
            held_out_exact = reused.metrics.get("val_exact")
        else:
            report = self._train(task, time_limit)
            training = TrainingNote.of(report)
            adapter_version = self._store_adapter(task, report)
            held_out_exact = report.val_exact_after
        undecoded = gate(held_out_exact) if gate is not None else ""
        if undecoded:
            note = TTTNote(self.backend.model_name, len(views), predictions=0, seconds=self.clock.now() - start,
                           reused=reused, training=training, adapter_version=adapter_version, undecoded=undecoded)
            return TaskSolution(tuple(() for _ in task.test), note, held_out_exact=held_out_exact)
        entropy = None
        if self.options.entropy is not None:
            entropy = EntropyNote.of(sharpen(self.backend, task, interleaved(views), self.options.entropy))
        candidates = []
        predictions = scored = 0
        for test in task.test:
            tallies, made = self._predict(task, test.input, views, deadline)
            predictions += made
            if self.options.scoring is not None and tallies:
                ranked, count = self._rescore(task, test.input, tallies, views)
                scored += count
                candidates.append(ranked)
                continue
            candidates.append(tuple(
                Candidate(t.grid, SOURCE, score=float(t.group_votes),
                          explanation=f"{t.group_votes} transforms, {t.total_votes} of {made} views")
                for t in tallies[:2]))
        notes = TTTNote(self.backend.model_name, len(views), predictions, self.clock.now() - start, reused=reused,
                        training=training, adapter_version=adapter_version, entropy=entropy,
                        scored=scored if self.options.scoring is not None else None)
        return TaskSolution(tuple(candidates), notes, held_out_exact=held_out_exact)

    def _within_context(self, task: Task, deadline: float) -> Task:
        """The task with only the latest `CONTEXT_SLACK` times as many demonstrations as its plain prompts
        keep in the context (all of them when they all fit, or when none does); the check stops at the
        deadline."""
        kept = 0
        for test in task.test:
            kept = max(kept, self.backend.demonstrations_kept([TTTExample(task.train, Example(test.input))])[0])
            if kept == len(task.train) or self.clock.now() >= deadline:
                break
        if kept == 0 or CONTEXT_SLACK * kept >= len(task.train):
            return task
        return Task(task.id, task.train[-CONTEXT_SLACK * kept:], task.test)

    def _unanswerable(self, task: Task, views: list[Augmentation], deadline: float) -> str:
        """Why no prompt can be answered, or "" when one can: some view of some test input must keep a
        demonstration in the model's context, else every prompt would be answered None, and training would
        only spend other tasks' time. Views are checked a generation batch at a time (as `generate` sends
        them), stopping at the first that fits or at the deadline."""
        size = max(1, self.options.generation_batch)
        for test in task.test:
            for i in range(0, len(views), size):
                if any(self.backend.prompts_fit([view_of(task, test.input, v) for v in views[i : i + size]])):
                    return ""
                if self.clock.now() >= deadline:
                    return "time ran out before a test prompt was found that fits the model's context"
        return "no test prompt keeps a demonstration in the model's context"

    def _reuse_adapter(self, task: Task) -> ReusedAdapter | None:
        """The stored adapter taken from the repository (its version and metrics); None when none was taken."""
        if self.checkpoints is None or self.options.retrain:
            return None
        try:
            found = self.checkpoints.load_latest_good(task.id, self.backend.model_hash)
        except ArcTttError:
            return None
        if found is None:
            return None
        info, weights = found
        self.backend.import_adapter(weights)
        return ReusedAdapter(info.version, dict(info.metrics))

    def _train(self, task: Task, time_limit: float) -> TrainingReport:
        dataset = self.strategy.dataset(task)
        wall = min(self.policy.wall_seconds, max(0.0, time_limit * self.options.training_share))
        policy = replace(self.policy, wall_seconds=wall)
        if self.options.predict_correct is None:
            return TrainingOrchestrator(self.backend, self.clock, policy).fit(dataset.train, dataset.validation)
        shortcut = PredictCorrectBackend(self.backend, self.options.predict_correct)
        report = TrainingOrchestrator(shortcut, self.clock, policy).fit(dataset.train, dataset.validation)
        return replace(report, predicted_steps=shortcut.predicted_steps)

    def _store_adapter(self, task: Task, report: TrainingReport) -> int | None:
        """The version the fresh adapter was stored under; None when it was not stored."""
        if self.checkpoints is None or not self.options.save_adapters or report.steps == 0:
            return None
        info = self.checkpoints.save(
            task.id,
            self.backend.export_adapter(),
            base_model=self.backend.model_name,
            base_model_hash=self.backend.model_hash,
            lora_config=self.backend.lora_config(),
            metrics=report.metrics(),
            tags=self.options.tags,
        )
        return info.version

    def _predict(self, task: Task, test_input: Grid, views: list[Augmentation],
                 deadline: float) -> tuple[list[Tally], int]:
        top = max(2, self.options.scoring.candidates) if self.options.scoring is not None else 2
        if self.options.confidence is not None:
            votes = self._predict_in_rounds(task, test_input, views, deadline, self.options.confidence)
            return hierarchical_vote(votes, top=top), len(votes)
        votes = []
        size = max(1, self.options.generation_batch)
        for i in range(0, len(views), size):
            if votes and self.clock.now() >= deadline:
                break  # out of time: vote with what the views so far produced
            votes.extend(self._generate_votes(task, test_input, views[i : i + size], deadline, first=not votes))
        return hierarchical_vote(votes, top=top), len(votes)

    def _generate_votes(self, task: Task, test_input: Grid, chunk: list[Augmentation], deadline: float,
                        first: bool) -> list[Vote]:
        try:
            left = deadline - self.clock.now()
            # the first chunk always runs (a task needs some vote); later ones stop at the deadline
            answers = self.backend.generate([view_of(task, test_input, v) for v in chunk],
                                            max_seconds=max(left, 1.0) if first else left)
        except OutOfMemory:
            answers = [None] * len(chunk)
        return [Vote(view.group, _undo(view, answer)) for view, answer in zip(chunk, answers)]

    def _predict_in_rounds(self, task: Task, test_input: Grid, views: list[Augmentation], deadline: float,
                           rule: ConfidenceRule) -> list[Vote]:
        """Rounds of `rule.round_views` views (symmetries interleaved) until the vote is settled, the
        views (plus extra samples up to `rule.max_views`) run out, or time does."""
        plan = interleaved(views)
        if rule.max_views > len(plan):
            plan += extra_views(plan, rule.max_views - len(plan), len(task.train), seed=f"{task.id}:extra")
        votes: list[Vote] = []
        for i in range(0, len(plan), rule.round_views):
            if votes and (self.clock.now() >= deadline or rule.settled(votes)):
                break
            votes.extend(self._generate_votes(task, test_input, plan[i : i + rule.round_views], deadline,
                                              first=not votes))
        return votes

    def _rescore(self, task: Task, test_input: Grid, tallies: list[Tally],
                 views: list[Augmentation]) -> tuple[tuple[Candidate, ...], int]:
        """The two best of the voted candidates by log-probability under augmentations plus votes."""
        options = self.options.scoring
        assert options is not None
        chosen = interleaved(views)[: options.views]
        try:
            log_probs = score_candidates(self.backend, task, test_input, [t.grid for t in tallies], chosen)
        except OutOfMemory:
            log_probs = {}
        ranked = combine(tallies, log_probs, options.vote_weight)[:2]
        # scores stay in transform votes (the unit an ensemble adds up) but follow the combined order,
        # so that an ensemble sorting by score keeps it
        scores = sorted((float(r.tally.group_votes) for r in ranked), reverse=True)
        return tuple(
            Candidate(r.grid, SOURCE, score=score,
                      explanation=(f"{r.tally.group_votes} transforms, {r.tally.total_votes} votes, "
                                   f"log-prob {r.log_prob if r.log_prob is None else round(r.log_prob, 2)} "
                                   f"over {len(chosen)} views"))
            for r, score in zip(ranked, scores)), len(tallies) * len(chosen)


def _undo(view: Augmentation, answer: Grid | None) -> Grid | None:
    if answer is None:
        return None
    try:
        return view.invert_grid(answer)
    except (InvalidGridError, IndexError):
        return None
