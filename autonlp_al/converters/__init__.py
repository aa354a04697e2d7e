"""Format converters: tag schemes (IOB2, BILOU), span alignment, tokenisation."""

from .align import Alignment, align_spans
from .base import MISSING, OUTSIDE, Scheme, TokenSpan
from .bilou import BILOU, bilou_to_iob, iob_to_bilou
from .convert import Converter, Unknown, spans_from_tags
from .iob import IOB
from .tokenize import SpacyTokenizer, Tokenizer

__all__ = [
    "BILOU",
    "IOB",
    "MISSING",
    "OUTSIDE",
    "Alignment",
    "Converter",
    "Scheme",
    "SpacyTokenizer",
    "TokenSpan",
    "Tokenizer",
    "Unknown",
    "align_spans",
    "bilou_to_iob",
    "iob_to_bilou",
    "spans_from_tags",
]
