"""`arc-ttt pretrain --smoke` twice into one folder, in a subprocess, on CPU: the second run resumes,
tokens seen accumulate, the loss is finite, and the folder loads as a TTT model."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

from tests.e2e.conftest import cli_command, cli_env


def pretrain(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_command("pretrain", "--out", str(out), "--smoke", "--threads", "1", *extra),
                          capture_output=True, text=True, timeout=120, env=cli_env())


def test_smoke_pretraining_resumes_and_loads_as_a_model(tmp_path: Path) -> None:
    out = tmp_path / "model"
    first = pretrain(out)
    assert first.returncode == 0, first.stderr + first.stdout
    state_1 = json.loads((out / "pretrain_state.json").read_text())
    second = pretrain(out)
    assert second.returncode == 0, second.stderr + second.stdout
    assert "resuming at" in second.stdout
    state_2 = json.loads((out / "pretrain_state.json").read_text())
    p1, p2 = state_1["progress"], state_2["progress"]
    assert p1["steps"] == 3 and p2["steps"] == 6 and p2["runs"] == 2
    assert p2["tokens_seen"] > p1["tokens_seen"] > 0
    assert p2["stream_position"] > p1["stream_position"]
    assert math.isfinite(p2["last_loss"])
    assert state_2["data"]["excluded_evaluation_ids"] > 0
    files = {p.name: p.stat().st_size for p in out.iterdir()}
    assert {"config.json", "tokenizer.json", "arc_ttt_model.json"} <= set(files)
    assert any(n.startswith("model") and n.endswith(".safetensors") for n in files)
    assert any(n.startswith("optimizer-") for n in files)
    assert not [n for n in files if n.endswith((".bin", ".pt", ".pkl"))]
    assert max(files.values()) <= 16 * 10**6

    from safetensors.torch import load_file

    from arc_ttt.adapters.models.model_loading import load_model

    loaded = load_model(str(out))
    assert loaded.fmt.name == "compact"
    optimizer = {}
    for name in state_2["optimizer_shards"]:
        optimizer.update(load_file(str(out / name)))
    steps = {float(v) for k, v in optimizer.items() if k.endswith(".step")}
    assert steps == {6.0}  # the optimizer state was carried over, not restarted



def test_resuming_a_damaged_folder_is_one_line_naming_the_file(tmp_path: Path) -> None:
    import shutil

    good = tmp_path / "good"
    assert pretrain(good).returncode == 0

    def resume_after(damage: object, name: str) -> str:
        folder = tmp_path / name
        shutil.copytree(good, folder)
        damage(folder)  # type: ignore[operator]
        result = pretrain(folder, "--max-steps", "1")
        assert result.returncode == 2, result.stderr + result.stdout
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        lines = " ".join(result.stderr.split())  # the console may wrap a long line
        assert lines.startswith(f"error: {folder}/"), lines
        return lines

    def halve_weights(folder: Path) -> None:
        weights = folder / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])

    def edit_state(**fields: object) -> object:
        def edit(folder: Path) -> None:
            state = json.loads((folder / "pretrain_state.json").read_text())
            state.update(fields)
            (folder / "pretrain_state.json").write_text(json.dumps(state))
        return edit

    message = resume_after(halve_weights, "halved")
    assert "model.safetensors: damaged or not what pretrain wrote: " in message and "incomplete metadata" in message
    outside = tmp_path / "outside.safetensors"
    shutil.copy(good / json.loads((good / "pretrain_state.json").read_text())["optimizer_shards"][0], outside)
    message = resume_after(edit_state(optimizer_shards=["../outside.safetensors"]), "escape")
    assert "pretrain_state.json: damaged or not what pretrain wrote: optimizer_shards.0: " in message
    message = resume_after(edit_state(progress={"steps": "3"}), "steps")
    assert "pretrain_state.json: damaged or not what pretrain wrote: progress.steps: " in message
