"""The smaller promises of issue #25 (item 9), each tried as a hostile user would: an unknown settings section,
a file over the size limit, more workers than tasks, a gzip bomb, and the Python API misused."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from arc_ttt.adapters.datasets import task_files
from arc_ttt.adapters.datasets.json_folder import JsonFolderSource
from arc_ttt.application.bootstrap.container import shared_cores
from arc_ttt.application.config.settings import ConfigError, environment_layer, load_settings
from arc_ttt.application.use_cases.runners import worker_count
from arc_ttt.application.use_cases.solve_batch import SolveRequest
from arc_ttt.domain.arc.geometry import Dihedral
from arc_ttt.domain.arc.grid import Grid
from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.errors import InvalidGridError, TaskFormatError
from tests.builders import symmetry_task, write_task_dir
from tests.fakes import InMemoryTaskSource


def test_an_unknown_settings_section_in_the_environment_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARC_TTT_FOO__BAR", "1")
    with pytest.raises(ConfigError) as caught:
        environment_layer()
    assert caught.value.problems[0].startswith("ARC_TTT_FOO__BAR: no settings section 'foo'")
    monkeypatch.delenv("ARC_TTT_FOO__BAR")
    monkeypatch.setenv("ARC_TTT_DEBUG", "1")  # not a setting, and known as such
    environment_layer()


def test_a_file_over_the_size_limit_is_called_that_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_task_dir(tmp_path / "tasks", [symmetry_task("t0", Dihedral.ROT90)])
    monkeypatch.setattr(task_files, "MAX_JSON_BYTES", 100)
    (problem,) = JsonFolderSource(folder).load().problems
    line = problem.one_line()
    assert "over the 100 byte limit" in line and "invalid JSON" not in line
    assert line.count(str(folder / "t0.json")) == 1


def test_workers_are_capped_by_tasks_and_devices_and_share_the_cores() -> None:
    assert worker_count(6, tasks=3, cpus=16, gpus=0) == 3
    assert worker_count(6, tasks=100, cpus=2, gpus=0) == 2
    assert worker_count(8, tasks=100, cpus=2, gpus=8) == 8
    settings = load_settings(solve={"workers": 64})
    assert shared_cores(settings).program.processes == 1  # one search process each, not one per core each


def zeros_member(name: str, size: int) -> tuple[tarfile.TarInfo, io.RawIOBase]:
    class Zeros(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
            count = min(len(buffer), self.left)
            buffer[:count] = bytes(count)
            self.left -= count
            return count

    info = tarfile.TarInfo(name)
    info.size = size
    return info, Zeros()


def test_a_gzip_bomb_is_refused_in_constant_memory(tmp_path: Path) -> None:
    """A member of 1 GiB of zeros, a few megabytes compressed, listed in the manifest with its size: before,
    import read it whole into memory before refusing it."""
    size = 1 << 30
    digest = hashlib.sha256()
    block = bytes(1 << 20)
    for _ in range(size >> 20):
        digest.update(block)
    name = "adapters/a/v000001.safetensors"
    manifest = json.dumps({"format": "arc-ttt-checkpoints", "format_version": 1, "checkpoints": [
        {"task_id": "a", "version": 1, "base_model": "m", "base_model_hash": "h", "lora_config": {}, "metrics": {},
         "tags": [], "created_at": "2026-01-01", "size_bytes": size, "sha256": digest.hexdigest(), "file": name}]
    }).encode()
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        tar.addfile(*zeros_member(name, size))
    assert bomb.stat().st_size < 16 << 20
    # VmHWM: the peak resident memory of the probe's own image (ru_maxrss would include this test process's)
    probe = ("import sys\n"
             "from arc_ttt.adapters.storage.checkpoints.archive import import_checkpoints\n"
             "from arc_ttt.domain.errors import CheckpointArchiveError\n"
             "try:\n    import_checkpoints(lambda: None, sys.argv[1])\n"
             "except CheckpointArchiveError as exc:\n    print('refused:', exc)\n"
             "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
             "print(int(status.split()[0]))\n")
    done = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    *_, refused, peak_kib = done.stdout.splitlines()
    assert refused.startswith("refused:") and "not a safetensors payload" in refused, done.stdout
    assert int(peak_kib) < 400 * 1024, f"peak {int(peak_kib) // 1024} MiB for a 1 GiB member"


SOURCE = InMemoryTaskSource([symmetry_task("t0", Dihedral.ROT90)])


@pytest.mark.parametrize(("changes", "error", "words"), [
    ({"out_dir": None}, TypeError, "out_dir must be the run folder's path"),
    ({"task_ids": "abc"}, TypeError, "not one string"),
    ({"task_ids": []}, ValueError, "task_ids is empty"),
    ({"resume": "no"}, TypeError, "resume must be True or False"),
])
def test_the_python_api_refuses_misuse_with_a_clear_error(tmp_path: Path, changes: dict, error: type,
                                                          words: str) -> None:
    request = {"source": SOURCE, "out_dir": tmp_path, "time_budget": 10, "task_time_limit": 5, **changes}
    with pytest.raises(error, match=words):
        SolveRequest(**request)


def test_tasks_and_grids_built_by_hand_follow_the_rules_of_task_files() -> None:
    g = Grid.of([[1]])
    with pytest.raises(TypeError, match="must be an Example"):
        Task("t", ({"input": [[1]], "output": [[2]]},), (Example(g),))  # type: ignore[arg-type]
    with pytest.raises(TaskFormatError, match="no examples"):
        Task("t", (), ())
    with pytest.raises(TaskFormatError, match="no examples"):
        Task("t", (Example(g, g),), ())
    with pytest.raises(TypeError, match="input must be a Grid"):
        Example([[1]])  # type: ignore[arg-type]
    for cell in (1.7, True, "9"):
        with pytest.raises(InvalidGridError):
            Grid.of([[cell]])  # type: ignore[list-item]
    assert Task("t", [Example(g, g)], [Example(g)]).train == (Example(g, g),)  # type: ignore[arg-type]
