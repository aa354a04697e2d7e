"""The data half of the active-learning loop on real data (what ``nox -s demo`` runs for now).

CoNLL-2003 train -> AutoTrain token-classification JSONL, BILOU CoNLL and a spaCy DocBin;
BBC News (label-per-folder, duplicates dropped and counted) -> AutoTrain text-classification JSONL
and Prodigy ``textcat.manual`` tasks. Every skip is counted and printed.

    python benchmarks/demo_convert.py OUT_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _corpora import bbc_news, conll2003, machine

from autonlp_al.converters import Converter
from autonlp_al.sources import ConllSource, FolderSource
from autonlp_al.writers import AutoTrainWriter, ConllWriter, DocBinWriter, ProdigyWriter


def main(out: Path) -> None:
    print(f"machine: {machine()}")
    jobs = [
        (
            "CoNLL-2003 train -> AutoTrain JSONL",
            lambda: ConllSource(path=conll2003("train")),
            AutoTrainWriter(),
            out / "conll_train.autotrain.jsonl",
        ),
        (
            "CoNLL-2003 train -> BILOU CoNLL",
            lambda: ConllSource(path=conll2003("train")),
            ConllWriter(converter=Converter(scheme="bilou")),
            out / "conll_train.bilou.conll",
        ),
        (
            "CoNLL-2003 valid -> spaCy DocBin",
            lambda: ConllSource(path=conll2003("valid")),
            DocBinWriter(),
            out / "conll_valid.spacy",
        ),
        (
            "BBC News -> AutoTrain text JSONL",
            lambda: FolderSource(path=bbc_news(), dedupe=True),
            AutoTrainWriter(task="textcat"),
            out / "bbc.autotrain.jsonl",
        ),
        (
            "BBC News -> Prodigy textcat tasks",
            lambda: FolderSource(path=bbc_news(), dedupe=True),
            ProdigyWriter(
                options=("business", "entertainment", "politics", "sports", "tech"),
                with_answer=False,
            ),
            out / "bbc.prodigy.jsonl",
        ),
    ]
    for title, make_source, writer, path in jobs:
        source = make_source()
        start = time.perf_counter()
        writer.write(source.read(), path)
        seconds = time.perf_counter() - start
        written = writer.report.counts["written"]
        print(
            f"\n{title}: {written:,} written in {seconds:.1f} s ({written / seconds:,.0f}/s)"
            f" -> {path}"
        )
        print("  read:    " + source.report.summary().replace("\n", "\n  "))
        print("  written: " + writer.report.summary().replace("\n", "\n  "))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/demo"))
