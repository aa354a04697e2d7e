"""JSONL, CSV, CoNLL and folder sources: the shapes users have, and the errors they hit."""

from __future__ import annotations

import pytest

from autonlp_al import Span
from autonlp_al.errors import InputFileNotFoundError, SourceError
from autonlp_al.sources import ConllSource, CsvSource, FolderSource, JsonlSource
from tests.conftest import write_jsonl


def test_jsonl_text_label_and_spans(tmp_path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "text": "Apple hired Tim.",
                "spans": [{"start": 0, "end": 5, "label": "ORG"}],
                "id": 7,
            },
            {"text": "Goal!", "label": "sport", "answer": "reject", "meta": {"src": "x"}},
            {"text": "Multi", "label": ["a", "b"]},
        ],
    )
    source = JsonlSource(path=path, id_field="id")
    a, b, c = source.read()
    assert a.spans == (Span(0, 5, "ORG"),) and a.meta == {"id": 7}
    assert b.labels == ("sport",) and b.answer.value == "reject" and b.meta == {"src": "x"}
    assert c.labels == ("a", "b")
    assert str(a.origin) == f"{path}:1"


def test_jsonl_reads_the_autotrain_tokens_and_tags_shape(tmp_path) -> None:
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "tokens": ["Tim", "Cook", "visited", "New", "York"],
                "tags": ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"],
            },
            {"tokens": ["Tim", "Cook"], "tags": ["B-PER", "-"]},
        ],
    )
    full, partial = JsonlSource(path=path).read()
    assert full.text == "Tim Cook visited New York"
    assert full.spans == (Span(0, 8, "PER"), Span(17, 25, "LOC")) and full.complete
    assert partial.spans == (Span(0, 3, "PER"),) and not partial.complete
    bilou_path = write_jsonl(
        tmp_path / "b.jsonl", [{"tokens": ["Tim", "Cook"], "tags": ["U-PER", "U-ORG"]}]
    )
    (bilou,) = JsonlSource(path=bilou_path, scheme="bilou").read()
    assert bilou.spans == (Span(0, 3, "PER"), Span(4, 8, "ORG"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object per line, got list"),
        ('{"body": "x"}', "no 'text' field \\(fields: \\['body'\\]\\)"),
        (
            '{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "X"}]}',
            "ends beyond the text",
        ),
        (
            '{"text": "abc", "spans": [{"start": "0", "end": 2, "label": "X"}]}',
            "'start' must be an int",
        ),
        ('{"text": "abc", "label": 3.5}', "must be a string or a list of strings"),
        ('{"tokens": ["a", "b"], "tags": ["O"]}', "2 tokens but tags"),
        ('{"tokens": ["a"], "tags": ["Q-X"]}', "'Q-X' is not one of"),
        ('{"text": ""}', "empty text"),
    ],
)
def test_jsonl_errors_name_file_line_and_value(tmp_path, line, message) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n")
    with pytest.raises(SourceError, match=message) as info:
        list(JsonlSource(path=path).read())
    assert str(info.value).startswith(f"{path}:2: ")
    lenient = JsonlSource(path=path, on_error="skip")
    assert len(list(lenient.read())) == 1
    assert lenient.report.skipped == {"invalid record": 1}


def test_jsonl_undecodable_bytes(tmp_path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes('{"text": "café"}\n'.encode("latin-1"))
    with pytest.raises(SourceError, match=r"latin.jsonl:1: bytes b'\\xe9' are not valid utf-8"):
        list(JsonlSource(path=path).read())
    assert [e.text for e in JsonlSource(path=path, encoding="latin-1").read()] == ["café"]


def test_csv_in_the_seed_bbc_shape(tmp_path) -> None:
    path = tmp_path / "BBC_News_Train.csv"
    path.write_text(
        "ArticleId,Text,Category\n"
        '1833,"worldcom ex-boss launches defence lawyers defending former worldcom chief, ""quoted""",business\n'
        "154,german business confidence slides,business\n"
        '1101,"multi\nline text",sport\n'
        "99,unlabelled text,\n",
        encoding="utf-8-sig",
    )
    source = CsvSource(
        path=path, text_column="Text", label_column="Category", id_column="ArticleId"
    )
    examples = list(source.read())
    assert [e.labels for e in examples] == [("business",), ("business",), ("sport",), ()]
    assert examples[0].meta == {"id": "1833"} and '"quoted"' in examples[0].text
    assert examples[2].text == "multi\nline text"
    assert [e.origin.line for e in examples] == [2, 3, 4, 6]


def test_csv_sniffs_tabs_and_splits_multi_labels(tmp_path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("text\tlabel\nhello world\ta|b\n")
    (example,) = CsvSource(path=path, label_column="label", label_separator="|").read()
    assert example.labels == ("a", "b")


def test_csv_errors(tmp_path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("ArticleId,Body\n1,hi\n")
    with pytest.raises(SourceError, match=r"x.csv:1: no text column 'Text' in the header"):
        list(CsvSource(path=path, text_column="Text").read())
    path.write_bytes(b"text\nfine\ncaf\xe9\n")
    with pytest.raises(SourceError, match=r"x.csv:3: bytes b'\\xe9' are not valid utf-8-sig"):
        list(CsvSource(path=path).read())
    assert [e.text for e in CsvSource(path=path, encoding="latin-1").read()] == ["fine", "café"]
    path.write_text("text,label\nhi,a,extra\n")
    with pytest.raises(SourceError, match=r"x\.csv:2: more cells than header columns"):
        list(CsvSource(path=path, delimiter=",").read())


CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
"""


def test_conll_sentences_documents_and_tags(tmp_path) -> None:
    path = tmp_path / "train.txt"
    path.write_text(CONLL)
    source = ConllSource(path=path)
    a, b, c = source.read()
    assert a.text == "EU rejects German call"
    assert a.spans == (Span(0, 2, "ORG"), Span(11, 17, "MISC"))
    assert b.spans == (Span(0, 15, "PER"),)
    assert (a.meta, b.meta, c.meta) == (
        {"document": 1, "sentence": 0},
        {"document": 1, "sentence": 1},
        {"document": 2, "sentence": 0},
    )
    assert [e.origin.line for e in (a, b, c)] == [3, 8, 13]
    chunks = list(ConllSource(path=path, tag_column=2).read())
    assert chunks[0].spans[0] == Span(0, 2, "NP")


def test_conll_errors(tmp_path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("EU B-ORG\nrejects\n")
    with pytest.raises(SourceError, match=r"bad.txt:2: 1 columns in 'rejects', but the file's"):
        list(ConllSource(path=path, tag_column=1).read())
    path.write_text("EU B-ORG\n")
    with pytest.raises(SourceError, match=r"bad.txt:1: 2 column\(s\) .* tag column 2"):
        list(ConllSource(path=path, tag_column=2).read())
    path.write_text("EU B-ORG\n\nX Q-ORG\n")
    with pytest.raises(SourceError, match=r"bad.txt:3: .*'Q-ORG'"):
        list(ConllSource(path=path).read())
    source = ConllSource(path=path, on_error="skip")
    assert len(list(source.read())) == 1 and source.report.skipped["invalid record"] == 1


def test_folder_source_bbc_layout(tmp_path) -> None:
    for label, name, data in [
        ("sport", "001.txt", b"Title\n\nBody text."),
        ("sport", "002.txt", b"Title\n\nBody text."),
        ("tech", "001.txt", "Caf\xe9 title\n".encode("latin-1")),
    ]:
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / name).write_bytes(data)
    source = FolderSource(path=tmp_path, dedupe=True)
    examples = list(source.read())
    assert [(e.labels, e.meta["path"]) for e in examples] == [
        (("sport",), "sport/001.txt"),
        (("tech",), "tech/001.txt"),
    ]
    assert examples[1].text == "Café title"
    assert source.report.skipped == {"duplicate text": 1}
    assert source.report.adjusted == {"decoded as latin-1": 1}
    assert len(list(FolderSource(path=tmp_path).read())) == 3


def test_folder_source_errors(tmp_path) -> None:
    with pytest.raises(SourceError, match="no files matching"):
        list(FolderSource(path=tmp_path).read())
    with pytest.raises(InputFileNotFoundError, match="no such folder"):
        list(FolderSource(path=tmp_path / "nope").read())


def test_csv_an_unclosed_quote_is_an_error_at_its_row_not_the_rest_of_the_file(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('text,label\n"fine",a\n"broken,b\nthird,c\nfourth,d\n')
    source = CsvSource(path=path, label_column="label")
    with pytest.raises(SourceError, match=r"bad\.csv:3: malformed CSV .* never closed"):
        list(source.read())  # read as two rows, the second swallowing the rest, before
    # quoted cells may still hold newlines and doubled quotes
    path.write_text('text,label\n"two\nlines ""quoted""",a\n')
    (example,) = CsvSource(path=path, label_column="label").read()
    assert example.text == 'two\nlines "quoted"' and example.labels == ("a",)


@pytest.mark.parametrize(
    ("delimiter", "text"),
    [
        (";", "hello, world"),
        ("\t", "hello, world; |"),
        ("|", "hello; world"),
        (",", "hello; world"),
    ],
)
def test_csv_delimiter_is_the_one_the_header_line_holds(tmp_path, delimiter, text) -> None:
    path = tmp_path / "d.csv"
    path.write_text(f"text{delimiter}label\n{text}{delimiter}x\n")
    (example,) = CsvSource(path=path, label_column="label").read()
    assert (example.text, example.labels) == (text, ("x",))


def test_csv_never_calls_the_sniffer_that_ran_for_minutes_on_some_files(tmp_path, monkeypatch):
    import csv

    def hang(*args, **kwargs):
        raise AssertionError("csv.Sniffer ran for 256 s on a fuzzed 64 KiB file; it is not used")

    monkeypatch.setattr(csv.Sniffer, "sniff", hang)
    path = tmp_path / "d.csv"
    path.write_text("text,label\nhello,x\n")
    assert [e.text for e in CsvSource(path=path).read()] == ["hello"]


def test_conll_a_line_with_an_extra_column_is_an_error_not_a_lost_word(tmp_path) -> None:
    path = tmp_path / "two.txt"
    path.write_text("He O\nvisited O\nNew York B-LOC\n.\tO\n\nFine O\n")
    with pytest.raises(SourceError, match=r"two.txt:3: 3 columns in 'New York B-LOC'"):
        list(ConllSource(path=path).read())  # read as "He visited New ." before
    source = ConllSource(path=path, on_error="skip")
    assert [e.text for e in source.read()] == ["Fine"]  # the whole sentence, counted
    assert source.report.skipped["malformed line"] == 1 and source.report.counts["read"] == 2


def test_conll_lone_cr_line_endings_end_lines(tmp_path) -> None:
    path = tmp_path / "mac.txt"
    path.write_bytes(b"EU B-ORG\rrejects O\r\rGerman B-MISC\rcall O\r")
    examples = list(ConllSource(path=path).read())  # one one-word sentence before
    assert [e.text for e in examples] == ["EU rejects", "German call"]
    assert examples[1].origin is not None and examples[1].origin.line == 4


def test_conll_a_non_breaking_space_token_is_named_not_replaced_by_the_next_column(tmp_path):
    path = tmp_path / "nbsp.txt"
    path.write_text("EU NNP B-ORG\n\u00a0 NN O\nrejects VBZ O\n", encoding="utf-8")
    # it was read as the token "NN" (the POS column); a blank token is an error with its line
    with pytest.raises(SourceError, match=r"nbsp.txt:1: .*'\\xa0'"):
        list(ConllSource(path=path).read())
    source = ConllSource(path=path, on_error="skip")
    assert list(source.read()) == [] and source.report.skipped["invalid record"] == 1
