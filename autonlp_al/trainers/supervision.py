"""What every trainer learns NER from, written once: each example's words and their tag ids in
the model's tag map (IOB2 over the label set), a tag the annotation leaves unknown (``"-"``, a
partial ``ner.teach`` answer) given as ``unknown``, so it is masked, never trained as ``O``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ..converters.align import Alignment
from ..converters.convert import Converter
from ..converters.iob import ner_tags
from ..converters.tokenize import Tokenizer
from ..report import Report
from ..types import Example, TaggedSentence, _str_tuple

__all__ = ["NerSupervision"]


@attrs.frozen(kw_only=True)
class NerSupervision:
    """Turns examples into the words a model reads and their tag ids. ``tokenizer``: the words
    the model will predict with (the trainer's language, or an encoder's word splitter);
    ``alignment``: spans off token boundaries; ``report``: what was skipped or adjusted."""

    labels: tuple[str, ...] = attrs.field(converter=_str_tuple)
    tokenizer: Tokenizer | None = None
    alignment: Alignment = attrs.field(default=Alignment.STRICT, converter=Alignment)
    report: Report = attrs.field(factory=Report)

    @property
    def tags(self) -> list[str]:
        """The tag map: ``O`` then ``B-``/``I-`` of each label, in label order."""
        return list(ner_tags(self.labels))

    def sentences(self, examples: Iterable[Example]) -> list[TaggedSentence]:
        """Each example as words and IOB2 tags (``"-"`` where the tag is unknown)."""
        converter = Converter(
            scheme="iob",
            labels=self.labels,
            alignment=self.alignment,
            report=self.report,
            **({"tokenizer": self.tokenizer} if self.tokenizer is not None else {}),
        )
        return [converter.convert(example) for example in examples]

    def tag_ids(
        self, examples: Iterable[Example], *, tags: Sequence[str], unknown: int
    ) -> tuple[list[list[str]], list[list[int]]]:
        """Words and tag ids (indices into ``tags``, the model's own tag map), ``unknown`` for
        a tag the annotation does not give."""
        index = {tag: i for i, tag in enumerate(tags)}
        words, ids = [], []
        for sentence in self.sentences(examples):
            words.append(list(sentence.words))
            ids.append([index.get(tag, unknown) for tag in sentence.tags])
        return words, ids
