"""Pretraining data and policy: the pool never holds an evaluation task, the stream is reproducible by
position, the loss falls on output grids only, and runs accumulate in one folder."""

from __future__ import annotations

import json
import random
from itertools import pairwise
from pathlib import Path

import pytest

from arc_ttt.adapters.models.codec import COMPACT
from arc_ttt.adapters.models.encoding import IGNORE, EpisodeEncoder
from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer
from arc_ttt.application.use_cases.pretrain import Pretrain, PretrainRequest
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.ttt.pretraining import EpisodeStream, Schedule, solved_pairs, training_pool
from tests.builders import random_grid, symmetry_task
from tests.fakes import FakeClock, FakePretrainer, FakePretrainingBackend, InMemoryTaskSource


def odd_task(task_id: str) -> Task:
    """A task whose grids are 7x3 (3x7 under a transpose), a shape no other task here uses."""
    rng = random.Random(task_id)
    pairs = tuple(Example(random_grid(rng, 7, 3), random_grid(rng, 7, 3)) for _ in range(3))
    return Task(task_id, pairs, (Example(random_grid(rng, 7, 3), random_grid(rng, 7, 3)),))


def training_tasks() -> list[Task]:
    return [symmetry_task(f"t{i:02d}", list(Dihedral)[i % 8], seed=i) for i in range(12)]


def test_the_pool_drops_evaluation_ids_duplicates_and_tasks_without_two_pairs() -> None:
    lonely = Task("lonely", (Example(random_grid(random.Random(0), 2, 2), random_grid(random.Random(1), 2, 2)),),
                  (Example(random_grid(random.Random(2), 2, 2)),))
    tasks = [*training_tasks(), odd_task("shared"), symmetry_task("t03", Dihedral.ROT90, seed=99), lonely]
    pool = training_pool(tasks, {"shared", "elsewhere"})
    ids = [t.id for t in pool]
    assert "shared" not in ids and "lonely" not in ids
    assert ids == sorted(set(ids)) and len(ids) == 12
    assert pool[3] is tasks[3]  # the first occurrence of an id wins


def test_the_pool_drops_a_task_that_shares_a_solved_pair_with_an_evaluation_task() -> None:
    tasks = training_tasks()
    renamed = Task("renamed", tasks[5].train[1:], tasks[5].test)  # task t05's puzzle under another id
    pool = training_pool(tasks, (), evaluation=[renamed])
    assert [t.id for t in pool] == [t.id for t in tasks if t.id != "t05"]


def test_the_stream_is_a_function_of_seed_and_position() -> None:
    pool = training_pool(training_tasks(), ())
    a, b = EpisodeStream(pool, seed=1), EpisodeStream(pool, seed=1)
    assert [a.episode(k) for k in (0, 5, 30)] == [b.episode(k) for k in (30, 5, 0)][::-1]
    assert EpisodeStream(pool, seed=2).episode(0) != a.episode(0)
    with pytest.raises(ValueError):
        EpisodeStream((), seed=0)


def test_every_epoch_visits_every_task_once_and_episodes_come_from_their_task() -> None:
    pool = training_pool(training_tasks(), ())
    stream = EpisodeStream(pool, seed=0)
    for epoch in range(2):
        visited = [stream.task_at(epoch * len(pool) + k).id for k in range(len(pool))]
        assert sorted(visited) == [t.id for t in pool]
    for k in range(40):
        task, episode = stream.task_at(k), stream.episode(k)
        assert 1 <= len(episode.demonstrations) == len(solved_pairs(task)) - 1
        # one view of the task: every grid has the task's cell count (symmetries and recolors keep it)
        cells = {g.height * g.width for d in (*episode.demonstrations, episode.query) for g in (d.input, d.output)}
        assert cells == {20}


def test_episodes_hold_no_grid_of_an_evaluation_task() -> None:
    tasks = [*training_tasks(), odd_task("evalish")]
    stream = EpisodeStream(training_pool(tasks, {"evalish"}), seed=0)
    shapes = {(g.height, g.width) for k in range(100) for ex in [stream.episode(k)]
              for d in (*ex.demonstrations, ex.query) for g in (d.input, d.output) if g is not None}
    assert (7, 3) not in shapes and (3, 7) not in shapes


def test_the_schedule_warms_up_then_decays_to_its_floor() -> None:
    s = Schedule(peak=1e-3, total_tokens=1000, warmup_tokens=100, floor=0.1)
    assert s.rate(10) == pytest.approx(1e-4)
    assert s.rate(100) == pytest.approx(1e-3)
    assert s.rate(550) == pytest.approx(0.55e-3)
    assert s.rate(1000) == pytest.approx(1e-4) == s.rate(5000)
    rates = [s.rate(t) for t in range(100, 1001, 50)]
    assert rates == sorted(rates, reverse=True)


def test_the_loss_mask_covers_output_grids_and_the_end_token_only() -> None:
    tokenizer = build_compact_tokenizer()
    episode = EpisodeStream(training_pool(training_tasks(), ()), seed=0).episode(3)
    encoded = EpisodeEncoder(tokenizer, COMPACT, 4096, loss_on="outputs").encode(episode, with_answer=True)
    assert encoded is not None
    targets = [i for i, label in zip(encoded.ids, encoded.labels) if label != IGNORE]
    outputs = [d.output for d in episode.demonstrations[1:]] + [episode.query.output]
    expected = "".join(COMPACT.grid_text(g) for g in outputs if g is not None)
    assert tokenizer.decode(targets[:-1]) == expected
    assert targets[-1] == tokenizer.eos_token_id
    # nothing from an input grid or a marker is ever a target
    marker_ids = {tokenizer.convert_tokens_to_ids(m) for m in "IO"}
    assert not marker_ids & set(targets)


def run_pretrain(out: Path, clock: FakeClock, minutes: float, trainers: list[FakePretrainer],
                 tokens: int = 10**9, groups: int = 8, share: float = 0.0) -> object:
    backend = FakePretrainingBackend(clock, trainers)
    evaluation = InMemoryTaskSource([odd_task("evalish")])
    training = InMemoryTaskSource([*training_tasks(), odd_task("evalish")])
    use_case = Pretrain([training], [evaluation], clock, backend=backend)
    return use_case(PretrainRequest(out=out, size="tiny", minutes=minutes, tokens=tokens, batch_size=2,
                                    warmup_tokens=100, save_every_minutes=1.0, length_groups=groups,
                                    generated_share=share, generated_max_side=6))


def test_runs_accumulate_tokens_and_continue_the_stream(tmp_path: Path) -> None:
    clock, trainers = FakeClock(), []
    first = run_pretrain(tmp_path, clock, 0.1, trainers)  # 6 steps of one fake second
    assert first.stop_reason == "time budget spent" and not first.resumed
    assert first.excluded == 1 and first.pool_size == 12  # "evalish" by its id
    state = json.loads((tmp_path / "pretrain_state.json").read_text())
    # one window of 8 batches of 2 was drawn; the run stopped after 6 of them and leaves the last 2 out
    assert state["progress"]["steps"] == 6 and state["progress"]["stream_position"] == 16
    second = run_pretrain(tmp_path, clock, 0.1, trainers)
    assert second.resumed and trainers[1].resume_from == tmp_path
    assert second.tokens_this_run > 0
    assert second.progress.tokens_seen == first.progress.tokens_seen + second.tokens_this_run
    assert second.progress.runs == 2 and second.progress.steps == 12
    stream = EpisodeStream(training_pool(training_tasks(), ()), seed=0)
    assert trainers[1].seen[0] == stream.episode(16)  # the second run starts where the first stopped
    assert all(ex.query.input.width != 3 and ex.query.input.height != 3 for t in trainers for ex in t.seen)


def test_batches_are_cut_from_a_length_sorted_window_and_each_episode_is_trained_once(tmp_path: Path) -> None:
    trainers: list[FakePretrainer] = []
    run_pretrain(tmp_path, FakeClock(), 16 / 60, trainers, share=0.5)  # 16 steps: two windows of 8 batches of 2
    trainer = trainers[0]
    assert len(trainer.batches) == 16 and len(trainer.seen) == 32
    for window in (0, 1):
        batches = trainer.batches[8 * window : 8 * (window + 1)]
        episodes = trainer.seen[16 * window : 16 * (window + 1)]
        assert sorted(id(e) for b in batches for e in b) == sorted(id(e) for e in episodes)
        spans = sorted((min(map(trainer.tokens, b)), max(map(trainer.tokens, b))) for b in batches)
        assert all(high <= next_low for (_, high), (next_low, _) in pairwise(spans))  # no overlap: sorted cut
    lengths = [trainer.tokens(e) for e in trainer.seen]
    padded = sum(2 * max(map(trainer.tokens, b)) for b in trainer.batches)
    in_order = sum(2 * max(lengths[i : i + 2]) for i in range(0, 32, 2))
    assert padded < in_order  # the point of it: less padding than batches in stream order
    again: list[FakePretrainer] = []
    run_pretrain(tmp_path / "again", FakeClock(), 16 / 60, again, share=0.5)
    assert [[trainer.tokens(e) for e in b] for b in again[0].batches] == [
        [trainer.tokens(e) for e in b] for b in trainer.batches]  # the same order every time


def test_one_length_group_keeps_the_stream_order(tmp_path: Path) -> None:
    trainers: list[FakePretrainer] = []
    run_pretrain(tmp_path, FakeClock(), 5 / 60, trainers, groups=1, share=0.5)
    trainer = trainers[0]
    assert [[id(e) for e in b] for b in trainer.batches] == [
        [id(e) for e in trainer.seen[i : i + 2]] for i in range(0, 10, 2)]


def test_a_run_stops_at_the_token_budget(tmp_path: Path) -> None:
    clock, trainers = FakeClock(), []
    outcome = run_pretrain(tmp_path, clock, 60, trainers, tokens=200)
    assert outcome.stop_reason == "token budget spent"
    assert 200 <= outcome.progress.tokens_seen < 200 + 4 * 20 * 4


def test_resuming_with_another_size_is_refused(tmp_path: Path) -> None:
    from arc_ttt.domain.ttt.ports import PretrainStateError

    run_pretrain(tmp_path, FakeClock(), 0.05, [])
    use_case = Pretrain([InMemoryTaskSource(training_tasks())], [], FakeClock(), backend=FakePretrainingBackend())
    with pytest.raises(PretrainStateError, match="tiny"):
        use_case(PretrainRequest(out=tmp_path, size="small"))


def saved_state(tmp_path: Path) -> dict[str, object]:
    """A state file as the real trainer writes it: the fake's, with the real trainer's options and optimizer."""
    from dataclasses import asdict

    from arc_ttt.adapters.models.pretraining import TrainerOptions

    run_pretrain(tmp_path, FakeClock(), 0.05, [])
    state = json.loads((tmp_path / "pretrain_state.json").read_text())
    state["trainer"] = asdict(TrainerOptions(size="tiny"))
    state["optimizer_shards"] = ["optimizer-01-of-02.safetensors", "optimizer-02-of-02.safetensors"]
    state["optimizer"] = {"param_groups": [{"params": [0, 1], "lr": 1e-3, "betas": [0.9, 0.95], "eps": 1e-8,
                                            "weight_decay": 0.1, "amsgrad": False, "foreach": None}],
                          "state": {}}
    return state


def test_a_state_file_as_pretrain_writes_it_reads_back(tmp_path: Path) -> None:
    from arc_ttt.adapters.models.pretraining import PretrainingFolders, read_state

    state = saved_state(tmp_path)
    (tmp_path / "pretrain_state.json").write_text(json.dumps(state))
    read = read_state(tmp_path)
    assert read is not None and read.progress.steps == state["progress"]["steps"]  # type: ignore[index]
    assert read.optimizer.model_dump(exclude_unset=True) == state["optimizer"]
    shipped = Path(__file__).resolve().parents[2] / "data" / "models" / "arc-ttt-small"
    shipped_state = read_state(shipped)
    assert shipped_state is not None
    last = PretrainingFolders().last_save(shipped)  # what the pretrain use case resumes from
    assert last is not None and last.size == shipped_state.trainer.size
    assert last.progress.tokens_seen == shipped_state.progress.tokens_seen


@pytest.mark.parametrize(("change", "reason"), [
    (lambda s: s.update(optimizer_shards=["../../../../etc/hostname"]),
     "optimizer_shards.0: '../../../../etc/hostname' is not a shard name pretrain writes"),
    (lambda s: s.update(optimizer_shards=["/abs/optimizer-01-of-01.safetensors"]), "optimizer_shards.0: '/abs/"),
    (lambda s: s.update(optimizer_shards=["model.safetensors"]), "is not a shard name pretrain writes"),
    (lambda s: s.update(optimizer_shards=5), "optimizer_shards: input should be a valid list"),
    (lambda s: s.update(progress="x"), "progress: expected a JSON object"),
    (lambda s: s["progress"].update(steps="7"), "progress.steps: input should be a valid integer"),
    (lambda s: s["progress"].update(tokens_seen=-1), "progress.tokens_seen: input should be greater than"),
    (lambda s: s["progress"].update(runs=True), "progress.runs: input should be a valid integer"),
    (lambda s: s["trainer"].update(size="huge"), "trainer.size: unknown model size 'huge'"),
    (lambda s: s["trainer"].update(seed=2**64), "trainer.seed: input should be less than"),
    (lambda s: s.pop("trainer"), "trainer: field required"),
    (lambda s: s["optimizer"].update(param_groups=[5]), "optimizer.param_groups.0: expected a JSON object"),
    (lambda s: s["optimizer"]["param_groups"][0].update(betas="x"), "optimizer.param_groups.0.betas: input should"),
    (lambda s: s["optimizer"].update(state={"x": {}}), "optimizer.state.x.[key]: string should match pattern"),
])
def test_every_malformed_field_of_the_state_file_is_one_line_naming_the_file(tmp_path: Path, change: object,
                                                                              reason: str) -> None:
    from arc_ttt.adapters.models.pretraining import PretrainingFolders, PretrainStateError

    state = saved_state(tmp_path)
    change(state)  # type: ignore[operator]
    (tmp_path / "pretrain_state.json").write_text(json.dumps(state))
    with pytest.raises(PretrainStateError) as caught:
        PretrainingFolders().last_save(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'pretrain_state.json'}: damaged or not what pretrain wrote: ")
    assert reason in message and "\n" not in message


@pytest.mark.parametrize(("content", "reason"), [(b"[1]", "expected a JSON object, got list"),
                                                 (b"{oops", "not valid JSON"), (b"\xff\xfe", "not valid JSON")])
def test_a_state_file_that_is_not_a_json_object_is_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    from arc_ttt.adapters.models.pretraining import PretrainStateError, read_state

    (tmp_path / "pretrain_state.json").write_bytes(content)
    with pytest.raises(PretrainStateError, match=f"pretrain_state.json: damaged or not what pretrain wrote: {reason}"):
        read_state(tmp_path)
