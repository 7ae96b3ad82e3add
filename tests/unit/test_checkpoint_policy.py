import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arc_ttt.application.use_cases.cleanup_checkpoints import CleanupCheckpoints
from arc_ttt.domain.checkpoints.policy import CleanupPolicy, best_of, plan_cleanup, protected_version, rank_versions
from tests.checkpoint_builders import SAVE_META, info, weights
from tests.fakes import InMemoryCheckpointRepository


def versions(infos) -> list[tuple[str, int]]:
    return [(i.task_id, i.version) for i in infos]


def test_ranking_puts_the_best_first_then_newer_on_ties_and_unmeasured_last() -> None:
    infos = [info("t", 1, 0.5), info("t", 2, 0.9), info("t", 3), info("t", 4, 0.9), info("t", 5, 0.1)]
    assert [i.version for i in rank_versions(infos, "val_accuracy")] == [4, 2, 1, 5, 3]
    assert [i.version for i in rank_versions(infos, "val_accuracy", higher_is_better=False)] == [5, 1, 4, 2, 3]
    assert best_of(infos, "val_accuracy").version == 4
    assert best_of(infos, "loss") is None


def test_without_the_metric_the_newest_version_is_the_protected_one() -> None:
    assert protected_version([info("t", 1), info("t", 3), info("t", 2)], "val_accuracy").version == 3


def test_keep_best_k_per_task_deletes_the_rest() -> None:
    infos = [info("a", v, m) for v, m in [(1, 0.2), (2, 0.8), (3, 0.5), (4, 0.1)]] + [info("b", 1, 0.0)]
    plan = plan_cleanup(infos, CleanupPolicy(keep_best=2))
    assert versions(plan.keep) == [("a", 2), ("a", 3), ("b", 1)]
    assert versions(plan.delete) == [("a", 1), ("a", 4)]
    assert plan.bytes_before == 500 and plan.bytes_after == 300 and plan.bytes_freed == 200 and plan.cap_met


def test_a_size_cap_evicts_the_lowest_ranked_across_tasks_first() -> None:
    infos = [info("a", 1, 0.9, size=100), info("a", 2, 0.5, size=100), info("a", 3, 0.1, size=100),
             info("b", 1, 0.3, size=100), info("b", 2, 0.7, size=100)]
    plan = plan_cleanup(infos, CleanupPolicy(max_total_bytes=300))
    # rank 2 (a v3) goes first, then rank 1 of the older... a v2 and b v1 share rank 1: the older version first
    assert versions(plan.delete) == [("a", 3), ("b", 1)]
    assert plan.bytes_after == 300 and plan.cap_met


def test_the_best_of_a_task_survives_even_a_cap_it_cannot_meet() -> None:
    infos = [info("a", 1, 0.9, size=1000), info("a", 2, 0.1, size=10), info("b", 1, size=500)]
    plan = plan_cleanup(infos, CleanupPolicy(keep_best=5, max_total_bytes=0))
    assert versions(plan.keep) == [("a", 1), ("b", 1)]
    assert versions(plan.delete) == [("a", 2)]
    assert not plan.cap_met and plan.bytes_after == 1500


def test_no_limits_keep_everything() -> None:
    infos = [info("a", 1, 0.1), info("a", 2, 0.2)]
    plan = plan_cleanup(infos, CleanupPolicy())
    assert plan.delete == () and len(plan.keep) == 2


@pytest.mark.parametrize("kwargs", [{"keep_best": 0}, {"max_total_bytes": -1}, {"metric": ""}])
def test_policies_that_would_delete_the_best_or_make_no_sense_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        CleanupPolicy(**kwargs)


def test_cleanup_use_case_applies_the_plan_and_a_dry_run_deletes_nothing() -> None:
    repo = InMemoryCheckpointRepository()
    for task, accuracy in [("a", 0.1), ("a", 0.9), ("a", 0.5), ("b", 0.3)]:
        repo.save(task, weights(), metrics={"val_accuracy": accuracy}, **SAVE_META)  # type: ignore[arg-type]
    cleanup = CleanupCheckpoints(repo)
    dry = cleanup(CleanupPolicy(keep_best=1), dry_run=True)
    assert versions(dry.plan.delete) == [("a", 1), ("a", 3)] and dry.deleted == () and len(repo.items) == 4
    only_b = cleanup(CleanupPolicy(keep_best=1), task_ids=["b"])
    assert only_b.deleted == () and len(repo.items) == 4
    done = cleanup(CleanupPolicy(keep_best=1))
    assert versions(done.deleted) == [("a", 1), ("a", 3)]
    assert versions(repo.find()) == [("a", 2), ("b", 1)]
    assert repo.save("a", weights(), metrics={}, **SAVE_META).version == 4  # type: ignore[arg-type]


@st.composite
def stores(draw):  # type: ignore[no-untyped-def]
    infos = []
    for task in draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True)):
        for version in range(1, draw(st.integers(1, 6)) + 1):
            accuracy = draw(st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 1.0])))
            infos.append(info(task, version, accuracy, size=draw(st.integers(0, 1000))))
    return infos


@settings(max_examples=200, deadline=None)
@given(stores(), st.one_of(st.none(), st.integers(1, 4)), st.one_of(st.none(), st.integers(0, 4000)))
def test_cleanup_invariants(infos, keep_best, cap) -> None:  # type: ignore[no-untyped-def]
    plan = plan_cleanup(infos, CleanupPolicy(keep_best=keep_best, max_total_bytes=cap))
    kept, deleted = set(versions(plan.keep)), set(versions(plan.delete))
    assert kept | deleted == set(versions(infos)) and not kept & deleted
    for task in {i.task_id for i in infos}:
        of_task = [i for i in infos if i.task_id == task]
        assert (task, protected_version(of_task, "val_accuracy").version) in kept  # never the best
        assert keep_best is None or sum(1 for t, _ in kept if t == task) <= keep_best
    assert plan.bytes_after == sum(i.size_bytes for i in plan.keep)
    if cap is not None and plan.cap_met:
        assert plan.bytes_after <= cap
    if not plan.cap_met:  # only each task's best is left
        assert len(plan.keep) == len({i.task_id for i in infos})
