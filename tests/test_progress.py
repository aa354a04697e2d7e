"""Progress bars: on a terminal for work longer than one slice, never in a log file."""

from __future__ import annotations

import io
import sys

import pytest

from autonlp_al import _progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("tty", [True, False])
def test_chunks_cover_everything_and_show_a_bar_only_on_a_terminal(monkeypatch, tty) -> None:
    pytest.importorskip("tqdm")
    stream = Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    items = list(range(1000))
    slices = list(_progress.chunks(items, 256, desc="scoring"))
    assert [len(s) for s in slices] == [256, 256, 256, 232]
    assert [x for s in slices for x in s] == items
    assert ("scoring" in stream.getvalue()) is tty


def test_predict_is_the_models_predictions_in_order() -> None:
    class Echo:
        def __init__(self) -> None:
            self.calls: list[int] = []

        def predict(self, items):
            self.calls.append(len(items))
            return [f"p{x}" for x in items]

    model = Echo()
    assert _progress.predict(model, list(range(600)), size=256) == [f"p{x}" for x in range(600)]
    assert model.calls == [256, 256, 88]
