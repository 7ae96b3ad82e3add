"""Time the checkpoint store on this machine: save (with fsync), load (with sha256), verify, export and
import of LoRA-sized safetensors payloads. Usage:

    .venv/bin/python benchmarks/checkpoint_store.py [--size-mib 16] [--versions 10] [--folder /tmp/x]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import save

from arc_ttt.adapters.storage.checkpoints.archive import export_checkpoints, import_checkpoints
from arc_ttt.adapters.storage.checkpoints.repository import open_checkpoint_repository


def payload(size_mib: float, seed: int) -> bytes:
    floats = int(size_mib * 1024 * 1024 / 4)
    return save({"lora_A": np.random.default_rng(seed).standard_normal(floats, dtype=np.float32)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=float, default=16.0)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="ckpt-bench-"))
    repo = open_checkpoint_repository(folder / "store")
    blobs = [payload(args.size_mib, seed) for seed in range(args.versions)]
    meta = {"base_model": "bench", "base_model_hash": "h", "lora_config": {"r": 8}}

    def timed(label: str, work) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        work()
        seconds = time.perf_counter() - start
        print(f"{label:<40} {seconds:8.3f} s")
        return seconds

    mib = args.size_mib * args.versions
    seconds = timed(f"save {args.versions} x {args.size_mib:g} MiB",
                    lambda: [repo.save("bench", b, metrics={"val_accuracy": 0.5}, **meta) for b in blobs])
    print(f"{'  save throughput':<40} {mib / seconds:8.1f} MiB/s")
    timed("load_latest_good (sha256 checked)", lambda: repo.load_latest_good("bench"))
    timed(f"verify {args.versions} files", repo.verify)
    # overwrite: a rerun with the same --folder finds the archive of the last run there
    timed("export to tar", lambda: export_checkpoints(repo, folder / "bench.tar", overwrite=True))
    target = open_checkpoint_repository(folder / "imported")
    timed("import into an empty store", lambda: import_checkpoints(target, folder / "bench.tar"))


if __name__ == "__main__":
    main()
