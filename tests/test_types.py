import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonlp_al import Answer, Example, Origin, SourceError, Span, Token, text_hash


def test_text_hash_is_stable_and_javascript_safe() -> None:
    # Pinned: changing the hash would orphan every id in users' state and Prodigy datasets.
    assert text_hash("Apple hired Tim Cook.") == text_hash("Apple hired Tim Cook.")
    assert text_hash("hello") == 5900931619110054
    assert text_hash("hello") != text_hash("hello ")


@given(st.text(min_size=1))
def test_text_hash_range(text: str) -> None:
    assert 0 <= text_hash(text) < 2**53


def test_example_defaults_and_sorting() -> None:
    ex = Example(text="b a", spans=[Span(2, 3, "X"), Span(0, 1, "Y")])
    assert ex.id == text_hash("b a")
    assert [s.start for s in ex.spans] == [0, 2]
    assert ex.answer is Answer.ACCEPT and ex.complete
    assert ex.has_annotation
    assert not Example(text="x").has_annotation


def test_example_is_frozen_and_evolvable() -> None:
    ex = Example(text="abc", labels=["sport"])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        ex.text = "x"  # type: ignore[misc]
    assert attrs.evolve(ex, labels=("tech",)).labels == ("tech",)


def test_origin_is_not_part_of_equality() -> None:
    assert Example(text="a", origin=Origin("f", 1)) == Example(text="a", origin=Origin("f", 2))
    assert str(Origin("data.jsonl", 17)) == "data.jsonl:17"
    assert str(Origin("db#bbc")) == "db#bbc"


@pytest.mark.parametrize("text", ["", "   \n"])
def test_empty_text_is_an_error_naming_the_origin(text: str) -> None:
    with pytest.raises(SourceError, match=r"^in.jsonl:3: empty text"):
        Example(text=text, origin=Origin("in.jsonl", 3))


def test_span_beyond_text_is_an_error() -> None:
    with pytest.raises(SourceError, match=r"span \[0, 9\) 'X' ends beyond the text \(length 3\)"):
        Example(text="abc", spans=[Span(0, 9, "X")])


def test_span_and_token_validation() -> None:
    with pytest.raises(ValueError, match="must be after its start"):
        Span(3, 3, "X")
    with pytest.raises(ValueError, match=">= 0"):
        Span(-1, 3, "X")
    with pytest.raises(ValueError):
        Span(0, 1, "")
    with pytest.raises(ValueError, match="before its start"):
        Token("a", 3, 2)


def test_a_token_is_a_cheap_immutable_record() -> None:
    """Token is a named tuple (attrs' frozen class cost a third of converting an export with
    tokens): still immutable, validated, equal by value, and picklable for worker processes."""
    import pickle

    token = Token("Apple", 0, 5)
    assert token.ws is True and token == Token("Apple", 0, 5, True)
    with pytest.raises(AttributeError):
        token.start = 1  # type: ignore[misc]
    with pytest.raises(ValueError, match="start must be >= 0"):
        Token("a", -1, 0)
    assert (
        pickle.loads(pickle.dumps(token)) == token
        and type(pickle.loads(pickle.dumps(token))) is Token
    )
    assert token._replace(ws=False) == Token("Apple", 0, 5, False)


def test_tokens_must_match_the_text() -> None:
    with pytest.raises(SourceError, match="does not match the text"):
        Example(text="abc def", tokens=[Token("abd", 0, 3)])
    with pytest.raises(SourceError, match="overlaps the previous token"):
        Example(text="abc def", tokens=[Token("abc", 0, 3), Token("c", 2, 3)])


def test_wide_ids_travel_as_strings_where_javascript_would_round_them() -> None:
    from autonlp_al.types import id_value, parse_id, wide_text_hash

    wide = wide_text_hash("a text")
    assert wide >= 2**53 and wide < 2**96
    assert id_value(wide) == str(wide) and parse_id(str(wide)) == wide
    assert id_value(17) == 17 and parse_id(17) == 17
    assert parse_id("-3") is None and parse_id(True) is None and parse_id("1e5") is None


def test_a_wide_id_survives_a_prodigy_and_a_label_studio_round_trip(tmp_path) -> None:
    import json

    from autonlp_al.sources.labelstudio import task_example_id
    from autonlp_al.sources.prodigy import task_id
    from autonlp_al.types import wide_text_hash
    from autonlp_al.writers import LabelStudioWriter, ProdigyWriter

    example = Example(text="Anna visited Paris", id=wide_text_hash("Anna visited Paris"))
    ProdigyWriter().write([example], tmp_path / "p.jsonl")
    task = json.loads((tmp_path / "p.jsonl").read_text().splitlines()[0])
    assert isinstance(task["meta"]["autonlp_al_id"], str)  # a JS number would lose bits
    assert task_id(task) == example.id
    LabelStudioWriter().write([example], tmp_path / "ls.json")
    data = json.loads((tmp_path / "ls.json").read_text())[0]["data"]
    assert task_example_id(example.text, data) == example.id
