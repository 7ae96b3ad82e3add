"""Entropy-minimising test-time training: after the supervised fit, sharpen the model on the test input.

The supervised TTT only ever sees demonstration pairs. The test input itself carries information too:
an adapter that is unsure how to continue it (high entropy over the answer tokens) has not settled on
one rule. This step generates answers for the test inputs under a few views, then takes a few
gradient steps that lower the entropy of the model's predictions at those generated positions (the
TENT idea, Wang et al. 2021, applied to the answer tokens). It needs no labels; the risk is
confident collapse onto a wrong answer, hence few steps, a small learning rate, and a switch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from arc_ttt.domain.arc.task import Example, Task
from arc_ttt.domain.errors import OutOfMemory
from arc_ttt.domain.ttt.augmentation import Augmentation
from arc_ttt.domain.ttt.examples import TTTExample
from arc_ttt.domain.ttt.ports import ModelBackend


@dataclass(frozen=True, slots=True, kw_only=True)
class EntropyPolicy:
    """No defaults here: built from `ttt.techniques.entropy`, where they are declared once."""

    steps: int
    learning_rate: float
    views: int  # views of each test input whose answers are sharpened

    def __post_init__(self) -> None:
        if self.steps < 0 or self.views < 1 or self.learning_rate <= 0:
            raise ValueError("steps >= 0, views >= 1 and a positive learning rate")


@dataclass(frozen=True, slots=True)
class EntropyReport:
    steps: int = 0
    answers: int = 0  # generated answers the objective ran on
    tokens: int = 0  # tokens processed in the entropy steps
    entropy_first: float | None = None  # mean entropy per answer token at the first step (nats)
    entropy_last: float | None = None  # ... and at the last step (before its update)
    stop_reason: str = "not started"


def sharpen(backend: ModelBackend, task: Task, views: Sequence[Augmentation], policy: EntropyPolicy) -> EntropyReport:
    """Generate each test input's answer under the first `policy.views` views, then minimise the entropy
    of the model's own predictions over those answer positions for `policy.steps` updates."""
    chosen = list(views)[: policy.views]
    prompts = [TTTExample(v.apply_examples(task.train), Example(v.apply_grid(t.input))) for t in task.test
               for v in chosen]
    if not prompts or policy.steps == 0:
        return EntropyReport(stop_reason="nothing to do")
    try:
        answers = backend.generate(prompts)
    except OutOfMemory:
        return EntropyReport(stop_reason="out of memory")
    examples = [TTTExample(p.demonstrations, Example(p.query.input, a)) for p, a in zip(prompts, answers)
                if a is not None]
    if not examples:
        return EntropyReport(stop_reason="no answers")
    first: float | None = None
    last: float | None = None
    tokens = 0
    done = 0
    reason = "steps"
    for _ in range(policy.steps):
        try:
            backend.discard_gradients()
            step = backend.entropy_step(examples, 1.0)
            if step.target_tokens == 0:
                reason = "no answer tokens"
                break
            backend.apply_update(policy.learning_rate)
        except OutOfMemory:
            backend.discard_gradients()
            reason = "out of memory"
            break
        first = step.loss if first is None else first
        last = step.loss
        tokens += step.tokens
        done += 1
    return EntropyReport(done, len(examples), tokens, first, last, reason)
