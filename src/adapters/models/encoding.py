"""TTT examples as token ids with loss labels, and batches of them: padded (generation), or grouped
by length so that training and evaluation process no padding at all.

Long episodes are shortened by dropping the earliest demonstrations until they fit the model's
context; an episode whose query alone does not fit is left out (None).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from arc_ttt.adapters.models.codec import GridFormat, LossOn
from arc_ttt.domain.ttt.examples import TTTExample

if TYPE_CHECKING:
    import torch

IGNORE = -100


@dataclass(frozen=True, slots=True)
class Encoded:
    ids: list[int]
    labels: list[int]  # IGNORE where no loss is taken
    demonstrations: int = 0  # how many of the episode's demonstrations fitted

    @property
    def target_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


class EpisodeEncoder:
    def __init__(self, tokenizer: Any, fmt: GridFormat, max_length: int, loss_on: LossOn = "query") -> None:
        self.tokenizer = tokenizer
        self.fmt = fmt
        self.max_length = max_length
        self.loss_on = loss_on
        self._cache: dict[str, list[int]] = {}

    def _ids(self, text: str) -> list[int]:
        if text not in self._cache:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[text] = list(self.tokenizer(text, add_special_tokens=False).input_ids)
        return self._cache[text]

    def _encode_once(self, example: TTTExample, with_answer: bool) -> Encoded:
        ids: list[int] = []
        labels: list[int] = []
        bos = self.tokenizer.bos_token_id
        if bos is not None:
            ids.append(bos)
            labels.append(IGNORE)
        for segment in self.fmt.segments(example, with_answer=with_answer, loss_on=self.loss_on):
            piece = self._ids(segment.text)
            ids.extend(piece)
            labels.extend(piece if segment.target else [IGNORE] * len(piece))
        if with_answer and self.tokenizer.eos_token_id is not None:
            ids.append(self.tokenizer.eos_token_id)
            labels.append(self.tokenizer.eos_token_id)
        return Encoded(ids, labels, len(example.demonstrations))

    def encode(self, example: TTTExample, *, with_answer: bool, reserve: int = 0) -> Encoded | None:
        """Ids (and labels) of the episode, leaving `reserve` positions free for generation.

        The demonstrations to drop are found from each one's token count, measured once, and the episode is
        encoded once more without them: time linear in the episode, where dropping one and encoding again
        grew with the square of its demonstrations (a task of thousands of pairs took minutes per prompt)."""
        limit = self.max_length - reserve
        encoded = self._encode_once(example, with_answer)
        if len(encoded.ids) <= limit:
            return encoded
        costs = self._demonstration_costs(example, with_answer)
        excess, dropped = len(encoded.ids) - limit, 0
        while excess > 0 and dropped < len(costs):
            excess -= costs[dropped]
            dropped += 1
        if excess > 0:
            return None
        return self._encode_once(replace(example, demonstrations=example.demonstrations[dropped:]), with_answer)

    def _demonstration_costs(self, example: TTTExample, with_answer: bool) -> list[int]:
        """Tokens each demonstration takes: the format writes each as the same number of text pieces, each
        tokenized on its own, followed by the query's pieces."""
        segments = self.fmt.segments(example, with_answer=with_answer, loss_on=self.loss_on)
        count = len(example.demonstrations)
        query_pieces = len(self.fmt.segments(replace(example, demonstrations=()), with_answer=with_answer))
        per_demonstration = (len(segments) - query_pieces) // count if count else 0
        sizes = [len(self._ids(segment.text)) for segment in segments]
        return [sum(sizes[i * per_demonstration:(i + 1) * per_demonstration]) for i in range(count)]


def pad_batch(items: list[Encoded], pad_id: int, *, left: bool, device: Any) -> tuple[torch.Tensor, ...]:
    """input_ids, attention_mask and labels, padded to the longest item (left for generation)."""
    import torch

    width = max(len(item.ids) for item in items)
    ids, mask, labels = [], [], []
    for item in items:
        gap = width - len(item.ids)
        fill_ids, fill_mask, fill_labels = [pad_id] * gap, [0] * gap, [IGNORE] * gap
        if left:
            ids.append(fill_ids + item.ids)
            mask.append(fill_mask + [1] * len(item.ids))
            labels.append(fill_labels + item.labels)
        else:
            ids.append(item.ids + fill_ids)
            mask.append([1] * len(item.ids) + fill_mask)
            labels.append(item.labels + fill_labels)
    as_tensor = lambda rows: torch.tensor(rows, dtype=torch.long, device=device)  # noqa: E731
    return as_tensor(ids), as_tensor(mask), as_tensor(labels)


def length_groups(items: list[Encoded]) -> list[list[Encoded]]:
    """The items sorted by length and split into runs of equal length.

    Each run stacks into a rectangular batch with no padding token and no attention mask, so every
    processed token is a real one and attention can take its causal fast path; the loss summed over
    the runs is the loss of the whole micro-batch."""
    groups: list[list[Encoded]] = []
    for item in sorted(items, key=lambda e: len(e.ids)):
        if groups and len(groups[-1][0].ids) == len(item.ids):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def target_positions(items: list[Encoded]) -> list[int]:
    """Positions (of equal-length items) whose next token carries a label: the only positions whose
    logits the loss needs (the prompt's logits are never computed)."""
    width = len(items[0].ids)
    return [t for t in range(width - 1) if any(item.labels[t + 1] != IGNORE for item in items)]
