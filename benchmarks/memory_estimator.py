"""The memory estimator against a measured peak: build a Llama-shaped model with random weights
(no download), wrap it in a LoRA adapter with peft, run a few AdamW training steps on random tokens,
and compare the peak memory with what `arc_ttt.domain.resources.memory_estimate` predicted.

On CPU the measure is the growth of the process's peak RSS (ru_maxrss) from just before the model is
built to the end of training; on CUDA it is torch.cuda.max_memory_allocated (the estimate's fixed
CUDA-context overhead is left out of that comparison, since the allocator does not see it).

Each configuration runs in its own process, so one peak never hides another.

    python benchmarks/memory_estimator.py                       # the CPU table (tiny model)
    python benchmarks/memory_estimator.py --write docs/benchmarks.md
    python benchmarks/memory_estimator.py --device cuda --config llama-3.2-1b --seq-len 4096 --quantization 4bit
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from docs_section import replace_section

from arc_ttt.domain.resources.hardware import MB
from arc_ttt.domain.resources.memory_estimate import KNOWN_MODELS, ModelShape, TrainingPlan, estimate_training_memory

SECTION = "## Memory estimator"
CPU_CASES = [  # (seq_len, batch, checkpointing, rank)
    (512, 2, False, 16),
    (1024, 2, False, 16),
    (1024, 2, True, 16),
    (2048, 1, True, 64),
]
# glibc raises its mmap threshold after large frees and then keeps freed tensor memory in the heap,
# so RSS climbs step after step without any live tensor behind it. A fixed threshold makes large
# allocations go back to the system when freed: RSS then follows the live tensors. Both are reported.
FIXED_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "131072"}


NOTES = """\
*predicted*: `estimate_training_memory` without the fixed CUDA-context term; *measured* on CPU: growth of
the process's peak RSS (`ru_maxrss`) from just before the model is built (libraries imported and kernels
warmed up) to the end of training, with `MALLOC_MMAP_THRESHOLD_=131072` so that freed tensors go back to
the system; *default malloc*: the same run with glibc's default, which raises its mmap threshold after
large frees and then keeps freed tensor memory in the heap, so RSS climbs over the first steps with no
live tensor behind it (in brackets: over the prediction). The estimate counts tensors; on CPU budget
about twice the estimate under the default allocator, or set `MALLOC_MMAP_THRESHOLD_`. On CUDA *measured*
is `torch.cuda.max_memory_allocated()`.

The 1B comparison needs a CUDA GPU (none was available where this table was made); on one, run
`python benchmarks/memory_estimator.py --device cuda --config llama-3.2-1b --write docs/benchmarks.md`
(bf16, sequences of 4096 and 8192 with checkpointing; add `--quantization 4bit` for the 16 GB profile's
4-bit base, `--seq-len N --batch N --rank N` for one case); it writes its own section, "Memory estimator
on CUDA"."""


def build_model(shape: ModelShape, plan: TrainingPlan, device: str):  # type: ignore[no-untyped-def]
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=shape.vocab_size, hidden_size=shape.hidden_size, num_hidden_layers=shape.num_layers,
        num_attention_heads=shape.num_heads, num_key_value_heads=shape.num_kv_heads,
        intermediate_size=shape.intermediate_size, tie_word_embeddings=shape.tie_embeddings,
        max_position_embeddings=max(plan.seq_len, 2048), attn_implementation=plan.attention,
    )
    dtype = torch.float32 if plan.dtype_bytes == 4 else torch.bfloat16
    if plan.quantization != "none":
        import tempfile

        from transformers import BitsAndBytesConfig

        quant = (BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype,
                                    bnb_4bit_use_double_quant=True)
                 if plan.quantization == "4bit" else BitsAndBytesConfig(load_in_8bit=True))
        with tempfile.TemporaryDirectory() as folder:  # random weights, saved as safetensors, loaded quantized
            LlamaForCausalLM(config).to(dtype).save_pretrained(folder, safe_serialization=True)
            model = LlamaForCausalLM.from_pretrained(folder, quantization_config=quant, dtype=dtype,
                                                     device_map={"": 0})
    else:
        with torch.device(device):
            model = LlamaForCausalLM(config).to(dtype)
    names = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj", "gate": "gate_proj", "up": "up_proj",
             "down": "down_proj"}
    lora = LoraConfig(r=plan.lora_rank, lora_alpha=2 * plan.lora_rank, lora_dropout=0.0,
                      target_modules=[names[t] for t in plan.lora_targets], task_type="CAUSAL_LM")
    model = get_peft_model(model, lora)
    for p in model.parameters():  # LoRA weights train in fp32, as the estimate assumes
        if p.requires_grad:
            p.data = p.data.float()
    if plan.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    return model


def _warm_up(device: str) -> None:
    """One tiny forward and backward through the kernels used later, so their one-off workspaces and
    lazily loaded libraries are in the baseline rather than counted as training memory."""
    import torch

    x = torch.randn(8, 64, device=device, requires_grad=True)
    torch.nn.functional.scaled_dot_product_attention(x[None, None], x[None, None], x[None, None]).sum().backward()
    torch.nn.functional.cross_entropy(x, torch.zeros(8, dtype=torch.long, device=device)).backward()


def measure_one(shape: ModelShape, plan: TrainingPlan, steps: int) -> dict[str, object]:
    """Run in a fresh process: build, train `steps` steps, report the peak."""
    import peft  # noqa: F401  (imported before the baseline: library code is not training memory)
    import torch
    import transformers  # noqa: F401

    torch.manual_seed(0)
    device = plan.device
    _warm_up(device)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model = build_model(shape, plan, device)
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    tokens = torch.randint(0, shape.vocab_size, (plan.batch_size, plan.seq_len), device=device)
    started = time.perf_counter()
    for _ in range(steps):
        loss = model(input_ids=tokens, labels=tokens).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    seconds = time.perf_counter() - started
    if device == "cuda":
        torch.cuda.synchronize()
        measured = torch.cuda.max_memory_allocated()
    else:
        measured = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    estimate = estimate_training_memory(shape, plan)
    predicted = estimate.total_bytes - estimate.parts["overhead"]
    return {"model": shape.name, "device": device, "seq_len": plan.seq_len, "batch": plan.batch_size,
            "checkpointing": plan.gradient_checkpointing, "rank": plan.lora_rank, "quantization": plan.quantization,
            "predicted_bytes": predicted, "measured_bytes": int(measured), "parts": estimate.parts,
            "tokens_per_second": steps * plan.batch_size * plan.seq_len / seconds}


def run_case(args: argparse.Namespace, seq: int, batch: int, ckpt: bool, rank: int) -> dict[str, object]:
    """One case in a fresh process; on CPU twice (fixed and default malloc), keeping both peaks."""
    row = _run(args, seq, batch, ckpt, rank, FIXED_MALLOC if args.device == "cpu" else {})
    if args.device == "cpu":
        row["default_malloc_bytes"] = _run(args, seq, batch, ckpt, rank, {})["measured_bytes"]
    return row


def _run(args: argparse.Namespace, seq: int, batch: int, ckpt: bool, rank: int,
         env: dict[str, str]) -> dict[str, object]:
    command = [sys.executable, __file__, "--one", "--config", args.config, "--device", args.device,
               "--seq-len", str(seq), "--batch", str(batch), "--rank", str(rank), "--steps", str(args.steps),
               "--quantization", args.quantization, "--attention", args.attention]
    if ckpt:
        command.append("--checkpointing")
    done = subprocess.run(command, capture_output=True, text=True, check=False, env={**os.environ, **env})
    if done.returncode != 0:
        raise SystemExit(f"case seq {seq} batch {batch} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict[str, object]]) -> list[str]:
    lines = ["| model | device | quant | batch x seq | checkpointing | LoRA rank | predicted | measured | "
             "measured / predicted | measured, default malloc | tokens/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p, m = int(r["predicted_bytes"]), int(r["measured_bytes"])  # type: ignore[call-overload]
        default = r.get("default_malloc_bytes")
        other = f"{int(default) / MB:,.0f} MB ({int(default) / p:.2f})" if default else "n/a"  # type: ignore[call-overload]
        lines.append(f"| {r['model']} | {r['device']} | {r['quantization']} | {r['batch']} x {r['seq_len']} | "
                     f"{'on' if r['checkpointing'] else 'off'} | {r['rank']} | {p / MB:,.0f} MB | {m / MB:,.0f} MB | "
                     f"{m / p:.2f} | {other} | {float(r['tokens_per_second']):,.0f} |")  # type: ignore[arg-type]
    return lines


def write_section(path: Path, body: str, title: str = SECTION) -> None:
    replace_section(title, f"{title}\n\n{body.strip()}\n", path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="tiny-cpu", choices=sorted(KNOWN_MODELS))
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--seq-len", type=int)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--quantization", default="none", choices=["none", "8bit", "4bit"])
    parser.add_argument("--attention", default="sdpa", choices=["sdpa", "eager"])
    parser.add_argument("--checkpointing", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file's own section")
    args = parser.parse_args()
    shape = KNOWN_MODELS[args.config]
    plan = TrainingPlan(quantization=args.quantization, dtype_bytes=4 if args.device == "cpu" else 2,
                        lora_rank=args.rank, seq_len=args.seq_len or 1024, batch_size=args.batch,
                        gradient_checkpointing=args.checkpointing, attention=args.attention, device=args.device)
    if args.one:
        print(json.dumps(measure_one(shape, plan, args.steps)))
        return
    cases = ([(args.seq_len, args.batch, args.checkpointing, args.rank)] if args.seq_len
             else CPU_CASES if args.device == "cpu" else [(4096, 1, True, 64), (8192, 1, True, 64)])
    rows = []
    for seq, batch, ckpt, rank in cases:
        rows.append(run_case(args, seq, batch, ckpt, rank))
        print(table(rows)[-1], flush=True)
    lines = table(rows)
    print("\n".join(lines))
    if args.write:
        import torch

        shape_line = (f"`{shape.name}`: vocabulary {shape.vocab_size}, hidden {shape.hidden_size}, "
                      f"{shape.num_layers} layers, {shape.num_heads} heads ({shape.num_kv_heads} KV), "
                      f"MLP {shape.intermediate_size}; {shape.params / 1e6:.1f}M parameters")
        command = " ".join(["python benchmarks/memory_estimator.py", *sys.argv[1:]])
        body = "\n".join([
            f"Command: `{command}` ({platform.machine()}, torch {torch.__version__}, {args.steps} AdamW steps, "
            f"{'fp32' if args.device == 'cpu' else 'bf16'}, LoRA on all seven projections, dropout 0, "
            f"{args.attention} attention).",
            "",
            shape_line + ".",
            "",
            *lines,
            "",
            NOTES,
        ])
        write_section(args.write, body, SECTION if args.device == "cpu" else f"{SECTION} on CUDA")


if __name__ == "__main__":
    main()
