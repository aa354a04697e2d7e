"""Sub-word windows and head+tail truncation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autonlp_al.trainers.transformers.features import IGNORE, head_tail, word_windows


def test_first_sub_word_is_labelled_and_the_rest_masked(tiny_bert) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    words = [["tim", "cooksonville", "said"]]
    (window,) = word_windows(
        tokenizer, words, max_length=64, stride=4, word_labels=[[1, 2, IGNORE]]
    )
    pieces = tokenizer.convert_ids_to_tokens(window.input_ids)
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    sizes = [len(tokenizer.tokenize(w)) for w in words[0]]
    assert sizes[1] > 1  # a word split into several sub-words
    expected_first, expected_labels = [-1], [IGNORE]
    for word, (size, label) in enumerate(zip(sizes, [1, 2, IGNORE], strict=True)):
        expected_first += [word] + [-1] * (size - 1)
        expected_labels += [label] + [IGNORE] * (size - 1)
    assert window.first_of_word == [*expected_first, -1]
    assert window.labels == [*expected_labels, IGNORE]


def test_long_word_lists_overlap_and_cover_every_word(tiny_bert) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_bert)
    words = [["tim", "said", "the", "plan", "was", "good"] * 10]
    windows = word_windows(tokenizer, words, max_length=12, stride=3)
    assert len(windows) > 3 and all(len(w.input_ids) <= 12 for w in windows)
    seen = {w for window in windows for w in window.first_of_word if w >= 0}
    assert seen == set(range(60))


@given(n=st.integers(0, 50), budget=st.integers(1, 40))
def test_head_tail_keeps_the_budget_from_both_ends(n: int, budget: int) -> None:
    ids = list(range(n))
    kept = head_tail(ids, budget)
    assert len(kept) == min(n, budget)
    if n > budget:
        head = int(budget * 0.25)
        assert kept[:head] == ids[:head] and kept[head:] == ids[n - (budget - head) :]
