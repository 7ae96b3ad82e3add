"""The TTT model service with a fake backend: train or reuse, predict under views, undo, vote."""

from __future__ import annotations

from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.solution import TaskSolution
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.examples import Evaluation, TTTExample
from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
from arc_ttt.domain.ttt.notes import TrainingNote, TTTNote
from arc_ttt.domain.ttt.service import ServiceOptions, TTTModelService
from tests.builders import data_options, notes_of, service_options, training_policy
from tests.fakes import FakeClock, FakeModelBackend, InMemoryCheckpointRepository


def grid(*rows: str) -> Grid:
    return Grid.of([[int(c) for c in row] for row in rows])


TASK = Task(
    "identity_task",
    train=tuple(Example(g, g) for g in (grid("12", "30"), grid("045", "600"), grid("7", "8"))),
    test=(Example(grid("102", "034")),),
)
POLICY = training_policy(max_steps=4, eval_every=2, warmup_steps=0)


def service(backend: FakeModelBackend, options: ServiceOptions | None = None, **kwargs) -> TTTModelService:
    strategy = MitTTTStrategy(data_options(inference_transforms=8, inference_samples=2))
    return TTTModelService(backend, strategy, POLICY, FakeClock(), options=options or service_options(), **kwargs)


def training_of(solution: TaskSolution[TTTNote]) -> TrainingNote:
    training = notes_of(solution).training
    assert training is not None
    return training


def test_votes_the_answer_back_in_the_original_frame() -> None:
    backend = FakeModelBackend()  # answers each view's query input: right for an identity task in any view
    solution = service(backend).solve(TASK, time_limit=60)
    top = solution.candidates[0]
    assert top[0].grid == TASK.test[0].input and top[0].source == "ttt" and top[0].score == 8.0
    training = training_of(solution)
    assert training.steps == 4 and notes_of(solution).predictions == 16
    assert training.val_loss_after is not None and training.val_loss_before is not None
    assert training.val_loss_after < training.val_loss_before
    assert backend.generated == 16


def test_a_view_that_goes_wrong_is_outvoted() -> None:
    wrong = grid("99", "99")

    def answer(prompt: TTTExample) -> Grid | None:
        return wrong if prompt.query.input.shape == (3, 2) else prompt.query.input  # wrong when rotated

    solution = service(FakeModelBackend(answer=answer)).solve(TASK, time_limit=60)
    grids = [c.grid for c in solution.candidates[0]]
    assert grids[0] == TASK.test[0].input and len(grids) == 2 and grids[1] != TASK.test[0].input


def test_stored_adapter_is_reused_for_the_same_base_and_retrained_on_request() -> None:
    repo = InMemoryCheckpointRepository()
    first = FakeModelBackend()
    service(first, checkpoints=repo).solve(TASK, 60)
    assert len(repo.items) == 1 and repo.items[0][0].metrics["steps"] == 4.0

    again = FakeModelBackend()
    solution = service(again, checkpoints=repo).solve(TASK, 60)
    assert again.micro_batches == [] and again.imports == [4]  # no training: the stored state came back
    reused = notes_of(solution).reused
    assert reused is not None and reused.version == 1 and reused.metrics == repo.items[0][0].metrics
    assert notes_of(solution).training is None

    other_base = FakeModelBackend(model_hash="another")
    service(other_base, checkpoints=repo).solve(TASK, 60)
    assert other_base.micro_batches  # an adapter of another base is never applied

    forced = FakeModelBackend()
    service(forced, checkpoints=repo, options=service_options(retrain=True)).solve(TASK, 60)
    assert forced.micro_batches and len(repo.items) == 3


def test_each_task_starts_from_a_fresh_adapter() -> None:
    backend = FakeModelBackend()
    ttt = service(backend)
    ttt.solve(TASK, 60)
    ttt.solve(TASK, 60)
    assert backend.new_adapters == 2 and backend.updates == 4  # not 8: the second fit started over


def test_generation_is_given_the_time_left_and_stops_at_the_deadline() -> None:
    clock = FakeClock()
    backend = FakeModelBackend()
    original = backend.generate

    def slow_generate(prompts, max_seconds=None):  # type: ignore[no-untyped-def]
        clock.advance(4.0)  # each chunk of views takes 4 s
        return original(prompts, max_seconds)

    backend.generate = slow_generate  # type: ignore[method-assign]
    strategy = MitTTTStrategy(data_options(inference_transforms=8, inference_samples=2))
    svc = TTTModelService(backend, strategy, POLICY, clock, options=service_options(generation_batch=2))
    svc.solve(TASK, time_limit=10)
    limits = backend.generate_time_limits
    assert 1 <= len(limits) < 8  # 16 views in chunks of 2 would be 8 chunks; the deadline cut them short
    assert all(limit is not None and limit <= 10 for limit in limits)
    assert limits == sorted(limits, reverse=True)  # each chunk gets only what is left


def test_the_held_out_exact_share_travels_with_the_answers_and_the_stored_adapter() -> None:
    def evaluation(b: FakeModelBackend) -> Evaluation:
        return Evaluation(1.0 / (1 + b.updates), 0.9, 10, examples=4, exact=min(b.updates, 3))

    repo = InMemoryCheckpointRepository()
    trained = service(FakeModelBackend(evaluation=evaluation), checkpoints=repo).solve(TASK, 60)
    assert trained.held_out_exact == 0.75 and training_of(trained).val_exact == 0.75
    reused = service(FakeModelBackend(evaluation=evaluation), checkpoints=repo).solve(TASK, 60)
    assert notes_of(reused).reused is not None and reused.held_out_exact == 0.75
    two_pairs = Task("two", TASK.train[:2], TASK.test)  # too few pairs to hold one out: nothing checked
    assert service(FakeModelBackend(evaluation=evaluation)).solve(two_pairs, 60).held_out_exact is None


def test_a_task_whose_prompts_show_no_demonstration_is_left_untrained() -> None:
    # every view of the test input would be answered None: the service spends nothing on the task
    backend = FakeModelBackend(fits=lambda prompt: False)
    solution = service(backend).solve(TASK, time_limit=60)
    assert solution.candidates == ((),)
    assert backend.micro_batches == [] and backend.generated == 0 and backend.new_adapters == 0
    assert "no test prompt keeps a demonstration" in notes_of(solution).skipped


def test_one_test_input_whose_prompts_fit_is_enough_to_train() -> None:
    two_tests = Task(TASK.id, TASK.train, (TASK.test[0], Example(grid("1234567", "7654321"))))
    backend = FakeModelBackend(fits=lambda prompt: prompt.query.input.height * prompt.query.input.width < 10)
    solution = service(backend).solve(two_tests, time_limit=60)
    assert backend.micro_batches and not notes_of(solution).skipped
    assert solution.candidates[0][0].grid == TASK.test[0].input


def test_a_gate_that_says_no_after_the_fit_stops_before_any_decoding() -> None:
    backend = FakeModelBackend()
    asked: list[float | None] = []

    def gate(held_out_exact: float | None) -> str:
        asked.append(held_out_exact)
        return "its answers could not enter the attempts"

    solution = service(backend).solve(TASK, time_limit=60, gate=gate)
    note = notes_of(solution)
    assert backend.generated == 0 and solution.candidates == ((),) and note.predictions == 0
    assert note.undecoded == "its answers could not enter the attempts" and note.training is not None
    assert asked == [solution.held_out_exact] and note.training.steps == 4


def test_a_gate_that_lets_it_on_changes_nothing() -> None:
    backend = FakeModelBackend()
    solution = service(backend).solve(TASK, time_limit=60, gate=lambda held_out_exact: "")
    assert backend.generated == 16 and notes_of(solution).undecoded == ""
