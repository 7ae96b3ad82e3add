"""What the TTT model service records about a task: the model, the fit (fresh or a stored adapter reused),
the optional techniques' figures and the predictions made. The performance validator and the reports read
these figures; results.db and report.json keep them as one flat JSON object, in the layout the first
version of this record had, so that older results read the same."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from arc_ttt.domain.records import read, read_optional
from arc_ttt.domain.ttt.examples import TrainingReport
from arc_ttt.domain.ttt.techniques.entropy import EntropyReport

_VALIDATION = ("val_loss_before", "val_loss_after", "val_accuracy_before", "val_accuracy", "val_exact")


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


@dataclass(frozen=True, slots=True)
class TrainingNote:
    """The figures of a fresh fit, rounded as they are reported. The held-out figures carry the names they are
    stored with the adapter under (`TrainingReport.metrics`); None where there was no held-out split."""

    train_tokens: int
    train_seconds: float
    tokens_per_second: float
    steps: int
    stop_reason: str
    divergences: int = 0
    oom_backoffs: int = 0
    predicted_steps: int = 0  # steps the predict/correct shortcut took without a forward or backward pass
    val_loss_before: float | None = None
    val_loss_after: float | None = None
    val_accuracy_before: float | None = None
    val_accuracy: float | None = None
    val_exact: float | None = None

    @classmethod
    def of(cls, report: TrainingReport) -> TrainingNote:
        return cls(report.train_tokens, round(report.train_seconds, 3), round(report.tokens_per_second, 1),
                   report.steps, report.stop_reason, report.divergences, report.oom_backoffs, report.predicted_steps,
                   _rounded(report.val_loss_before, 5), _rounded(report.val_loss_after, 5),
                   _rounded(report.val_accuracy_before, 5), _rounded(report.val_accuracy_after, 5),
                   _rounded(report.val_exact_after, 5))

    def validation(self) -> dict[str, float]:
        """The held-out figures there are, by their stored names."""
        values = {key: getattr(self, key) for key in _VALIDATION}  # the fields are named as they are stored
        return {key: value for key, value in values.items() if value is not None}

    def to_json(self) -> dict[str, object]:
        return {"train_tokens": self.train_tokens, "train_seconds": self.train_seconds,
                "tokens_per_second": self.tokens_per_second, "steps": self.steps, "stop_reason": self.stop_reason,
                "divergences": self.divergences, "oom_backoffs": self.oom_backoffs,
                **({"predicted_steps": self.predicted_steps} if self.predicted_steps else {}), **self.validation()}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> TrainingNote:
        return cls(read(raw, "train_tokens", int), read(raw, "train_seconds", float),
                   read(raw, "tokens_per_second", float), read(raw, "steps", int), read(raw, "stop_reason", str),
                   read(raw, "divergences", int), read(raw, "oom_backoffs", int),
                   read_optional(raw, "predicted_steps", int) or 0,
                   *(read_optional(raw, key, float) for key in _VALIDATION))


@dataclass(frozen=True, slots=True)
class ReusedAdapter:
    """A stored adapter taken instead of a fresh fit: its version, and the metrics stored with it (those of
    the fit that made it, in an earlier run)."""

    version: int
    metrics: Mapping[str, float]

    def to_json(self) -> dict[str, object]:
        return {"reused_adapter_version": self.version, **self.metrics}


@dataclass(frozen=True, slots=True)
class EntropyNote:
    """The entropy-minimising steps after training: how many, over how many tokens, why they stopped, and the
    mean entropy per answer token at the first and last step (rounded; None when no step measured one)."""

    steps: int
    tokens: int
    stop_reason: str
    first: float | None = None
    last: float | None = None

    @classmethod
    def of(cls, report: EntropyReport) -> EntropyNote:
        measured = report.entropy_first is not None and report.entropy_last is not None
        return cls(report.steps, report.tokens, report.stop_reason,
                   _rounded(report.entropy_first, 4) if measured else None,
                   _rounded(report.entropy_last, 4) if measured else None)

    def to_json(self) -> dict[str, object]:
        measured = self.first is not None and self.last is not None
        return {"entropy_steps": self.steps, "entropy_tokens": self.tokens, "entropy_stop": self.stop_reason,
                **({"entropy_first": self.first, "entropy_last": self.last} if measured else {})}

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> EntropyNote:
        return cls(read(raw, "entropy_steps", int), read(raw, "entropy_tokens", int), read(raw, "entropy_stop", str),
                   read_optional(raw, "entropy_first", float), read_optional(raw, "entropy_last", float))


@dataclass(frozen=True, slots=True)
class TTTNote:
    """What the TTT model service did on one task. `skipped` says why it did nothing (no prompt keeps a
    demonstration in the model's context); otherwise exactly one of `training` and `reused` is set, and
    `undecoded` says why no test input was decoded after it (its caller's gate said the answers could not count)."""

    model: str
    views: int  # inference views per test input
    predictions: int  # grids generated, over all test inputs
    seconds: float
    skipped: str = ""
    reused: ReusedAdapter | None = None
    training: TrainingNote | None = None
    adapter_version: int | None = None  # the version the fresh adapter was stored under
    entropy: EntropyNote | None = None
    scored: int | None = None  # candidate x view log-probabilities computed, when candidates were rescored
    undecoded: str = ""  # why the test inputs were not decoded after the fit ("" when they were, or no fit ran)

    def to_json(self) -> dict[str, object]:
        """One flat object: the fit's figures (or the reused adapter's metrics) beside the service's own."""
        figures: dict[str, object] = {"model": self.model}
        if self.skipped:
            figures["skipped"] = self.skipped
        if self.reused is not None:
            figures.update(self.reused.to_json())
        if self.training is not None:
            figures.update(self.training.to_json())
        if self.adapter_version is not None:
            figures["adapter_version"] = self.adapter_version
        if self.entropy is not None:
            figures.update(self.entropy.to_json())
        figures.update(views=self.views, predictions=self.predictions, seconds=self.seconds)
        if self.scored is not None:
            figures["scored"] = self.scored
        if self.undecoded:
            figures["decoding_skipped"] = self.undecoded
        return figures

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> TTTNote:
        """The inverse of `to_json`: a reused adapter's metrics are the keys no other part of the note has."""
        reused = None
        if "reused_adapter_version" in raw:
            metrics = {key: read(raw, key, float) for key in raw if key not in _SERVICE_KEYS}
            reused = ReusedAdapter(read(raw, "reused_adapter_version", int), metrics)
        return cls(
            model=read(raw, "model", str),
            views=read(raw, "views", int),
            predictions=read(raw, "predictions", int),
            seconds=read(raw, "seconds", float),
            skipped=read_optional(raw, "skipped", str) or "",
            reused=reused,
            training=TrainingNote.from_json(raw) if reused is None and "train_tokens" in raw else None,
            adapter_version=read_optional(raw, "adapter_version", int),
            entropy=EntropyNote.from_json(raw) if "entropy_steps" in raw else None,
            scored=read_optional(raw, "scored", int),
            undecoded=read_optional(raw, "decoding_skipped", str) or "",
        )


_SERVICE_KEYS = frozenset({"model", "views", "predictions", "seconds", "skipped", "reused_adapter_version",
                           "adapter_version", "scored", "decoding_skipped", "entropy_steps", "entropy_tokens",
                           "entropy_stop", "entropy_first", "entropy_last"})
