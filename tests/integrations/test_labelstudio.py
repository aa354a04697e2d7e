"""Label Studio's ML backend protocol on a real socket: /setup, /predict with tasks (streamed),
/webhook answers recorded, retrained in the background and served; hostile payloads."""

from __future__ import annotations

import base64
import json
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("uvicorn")

from autonlp_al import Example, Span
from autonlp_al.errors import ConfigError
from autonlp_al.integrations.labelstudio import SKIPPED_FILE, LabelingConfig, LabelStudioBackend
from autonlp_al.integrations.serve import ModelSlot, create_app
from autonlp_al.loop.learner import ActiveLearner
from autonlp_al.strategies import MNLP
from autonlp_al.testing import ScriptedTrainer
from autonlp_al.types import text_hash
from tests.integrations.test_serve import call, running

NER_CONFIG = """<View>
  <Labels name="ner" toName="doc"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="doc" value="$sentence"/>
</View>"""
TEXTCAT_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="topic" toName="text" choice="multiple">
    <Choice value="sport"/><Choice value="tech"/>
  </Choices>
</View>"""

TEXTS = [f"anna met omar in plant {i}" for i in range(12)]


def test_labeling_configs_are_read_and_bad_ones_named() -> None:
    ner = LabelingConfig.from_xml(NER_CONFIG)
    assert (ner.to_name, ner.data_key, ner.labels_name) == ("doc", "sentence", "ner")
    textcat = LabelingConfig.from_xml(TEXTCAT_CONFIG)
    assert (textcat.choices_name, textcat.multiple, textcat.data_key) == ("topic", True, "text")
    with pytest.raises(ConfigError, match="not XML"):
        LabelingConfig.from_xml("<View><Text")
    with pytest.raises(ConfigError, match="no <Text"):
        LabelingConfig.from_xml('<View><Image name="i" value="$img"/></View>')


def ner_learner(tmp_path: Path) -> ActiveLearner:
    return ActiveLearner.create(
        trainer=ScriptedTrainer(),
        strategy=MNLP(),
        pool=[Example(text=t) for t in TEXTS],
        labels=["PER", "ORG"],
        state_dir=tmp_path / "state",
        batch_size=2,
    )


def post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def task(i: int, key: str = "sentence") -> dict:
    return {"id": 100 + i, "data": {key: TEXTS[i]}, "project": 1}


def annotation(i: int, spans: list[tuple[int, int, str]], **extra: object) -> dict:
    return {
        "id": 500 + i,
        "task": 100 + i,
        "result": [
            {
                "id": f"r{n}",
                "from_name": "ner",
                "to_name": "doc",
                "type": "labels",
                "value": {"start": s, "end": e, "labels": [label], "text": TEXTS[i][s:e]},
            }
            for n, (s, e, label) in enumerate(spans)
        ],
        "was_cancelled": False,
        **extra,
    }


def wait_for(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_label_studio_round_trip_setup_predict_webhook_retrain(tmp_path: Path) -> None:
    learner = ner_learner(tmp_path)
    slot = ModelSlot(None)
    backend = LabelStudioBackend(slot=slot, learner=learner, chunk=5)
    state = tmp_path / "state"
    with running(create_app(slot, labelstudio=backend, state_dir=state)) as url:
        status, body = call(f"{url}/health")
        assert status == 200 and body["model_class"] == "autonlp_al"
        assert post(f"{url}/setup", {"project": "1.1700000000", "schema": NER_CONFIG}) == (
            200,
            {"model_version": "untrained"},
        )
        # before any model: one empty prediction per task, nothing fails
        status, body = post(f"{url}/predict", {"tasks": [task(0), task(1)], "project": "1.17"})
        assert status == 200 and body["model_version"] == "untrained"
        assert [r["result"] for r in body["results"]] == [[], []]

        # an annotation: recorded in the event log before the reply, then trained on
        status, body = post(
            f"{url}/webhook",
            {
                "action": "ANNOTATION_CREATED",
                "annotation": annotation(0, [(0, 4, "PER")]),
                "task": task(0),
                "project": {"id": 1},
            },
        )
        assert (status, body) == (200, {"recorded": 1, "skipped": 0})
        log = (state / "events.jsonl").read_text()
        assert '"unasked": true' in log and TEXTS[0] in log
        wait_for(lambda: slot.get()[0] is not None and not backend.status()["retraining"])
        first = slot.get()[1]["version"]

        # predictions now come from that model: its span, with a score per region and per task
        status, body = post(f"{url}/predict", {"tasks": [task(0), task(3)], "project": "1.17"})
        assert status == 200 and body["model_version"] == first
        region = body["results"][0]["result"][0]
        assert region["from_name"] == "ner" and region["to_name"] == "doc"
        assert region["value"] == {"start": 0, "end": 4, "text": "anna", "labels": ["PER"]}
        assert 0 <= region["score"] <= 1 and body["results"][0]["model_version"] == first
        mnlp = MNLP().score(
            learner.models.model,
            [
                Example(text=TEXTS[3], tokens=learner.picker.tokenizer(TEXTS[3]))
                if learner.picker.tokenizer
                else Example(text=TEXTS[3])
            ],
        )
        assert body["results"][1]["score"] == pytest.approx(float(mnlp[0]))

        # an update of that annotation and a second task: the next model has both
        post(
            f"{url}/webhook",
            {
                "action": "ANNOTATION_UPDATED",
                "annotation": annotation(0, [(0, 4, "PER"), (9, 13, "PER")]),
                "task": task(0),
                "project": {"id": 1},
            },
        )
        post(
            f"{url}/webhook",
            {
                "action": "ANNOTATIONS_CREATED",
                "annotation": [annotation(2, [(0, 4, "ORG")])],
                "task": [task(2)],
                "project": {"id": 1},
            },
        )
        wait_for(lambda: learner.state.n_untrained == 0 and not backend.status()["retraining"])
        assert slot.get()[1]["version"] != first
        labelled = {e.text: e for e in learner.state.labeled_examples()}
        assert labelled[TEXTS[0]].spans == (Span(0, 4, "PER"), Span(9, 13, "PER"))
        assert labelled[TEXTS[2]].spans == (Span(0, 4, "ORG"),)
        status, body = post(f"{url}/predict", {"tasks": [task(0)], "project": "1.17"})
        assert [r["value"]["text"] for r in body["results"][0]["result"]] == ["anna", "omar"]
        assert backend.status()["counts"]["recorded"] == 3


def test_hostile_webhooks_are_counted_skips_kept_on_disk_never_500(tmp_path: Path) -> None:
    learner = ner_learner(tmp_path)
    slot = ModelSlot(None)
    backend = LabelStudioBackend(slot=slot, learner=learner)
    state = tmp_path / "state"
    payloads = [
        {"action": "ANNOTATION_CREATED", "task": task(1)},  # no annotation
        {"action": "ANNOTATION_CREATED", "annotation": "x", "task": task(1)},
        {"action": "ANNOTATION_CREATED", "annotation": annotation(1, []), "task": {"id": 5}},
        {  # an unknown result type next to a good span: the span is kept, the rest counted
            "action": "ANNOTATION_CREATED",
            "annotation": {
                **annotation(1, [(0, 4, "PER")]),
                "result": annotation(1, [(0, 4, "PER")])["result"]
                + [{"type": "rating", "value": {"rating": 3}}],
            },
            "task": task(1),
        },
        {
            "action": "ANNOTATION_CREATED",
            "annotation": annotation(4, [(0, 4, "LOC")]),
            "task": task(4),
        },
        {
            "action": "ANNOTATION_CREATED",
            "annotation": annotation(5, [], was_cancelled=True),
            "task": task(5),
        },
        {
            "action": "ANNOTATION_CREATED",
            "annotation": annotation(6, [(0, 99, "PER")]),
            "task": task(6),
        },
        {"action": "TASKS_DELETED", "tasks": [{"id": 101}]},
        {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 501}]},
        {"action": "PROJECT_UPDATED", "project": {"id": 1}},
        {"no": "action"},
        [1, 2, 3],
    ]
    with running(create_app(slot, labelstudio=backend, state_dir=state)) as url:
        post(f"{url}/setup", {"project": "1.1700000000", "schema": NER_CONFIG})
        replies = [post(f"{url}/webhook", p) for p in payloads]
        assert all(status == 200 for status, _ in replies), replies
        request = urllib.request.Request(f"{url}/webhook", data=b"{not json", method="POST")
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(request, timeout=10)
        assert bad.value.code == 400
        wait_for(lambda: not backend.status()["retraining"])
    assert [body.get("recorded") for _, body in replies[:7]] == [0, 0, 0, 1, 0, 0, 0]
    status = backend.status()
    assert status["counts"]["recorded"] == 1 and status["rounds"] == 1
    skipped = status["skipped"]
    assert any("no annotation" in k for k in skipped) and any(
        "LOC" in k or "label" in k for k in skipped
    ), skipped
    assert any("cancelled" in k for k in skipped) and any("deleted" in k for k in skipped)
    kept = [json.loads(line) for line in (state / SKIPPED_FILE).open()]
    assert len(kept) >= 5 and any("LOC" in json.dumps(k) for k in kept)


def test_a_bulk_predict_is_streamed_in_chunks_and_answers_every_task(tmp_path: Path) -> None:
    from autonlp_al.testing import FakeModel

    texts = [f"text number {i} about sport" for i in range(700)]
    model = FakeModel(task="textcat", labels=["sport", "tech"], version="m1")
    slot = ModelSlot(model)
    backend = LabelStudioBackend(slot=slot, chunk=64)
    pieces = list(
        backend.predict(
            {
                "tasks": [{"id": i, "data": {"text": t}} for i, t in enumerate(texts)],
                "label_config": TEXTCAT_CONFIG,
            }
        )
    )
    assert len(pieces) == 2 + (700 + 63) // 64  # head, one piece per chunk, tail
    body = json.loads(b"".join(pieces))
    assert len(body["results"]) == 700 and body["model_version"] == "m1"
    choice = body["results"][0]["result"][0]
    assert choice["from_name"] == "topic" and choice["type"] == "choices"
    assert choice["value"]["choices"] and set(choice["value"]["choices"]) <= {"sport", "tech"}
    # over HTTP: chunked transfer, and the same answer
    with running(create_app(slot, labelstudio=backend)) as url:
        request = urllib.request.Request(
            f"{url}/predict",
            data=json.dumps(
                {
                    "tasks": [{"id": i, "data": {"text": t}} for i, t in enumerate(texts)],
                    "label_config": TEXTCAT_CONFIG,
                }
            ).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers.get("transfer-encoding") == "chunked"
            assert json.loads(response.read()) == body


def test_basic_auth_with_the_token_as_password_is_how_label_studio_connects(tmp_path: Path) -> None:
    from autonlp_al.testing import FakeModel

    slot = ModelSlot(FakeModel(task="textcat", labels=["a", "b"], version="m1"))
    with running(create_app(slot, token="s3cret")) as url:
        good = base64.b64encode(b"anyone:s3cret").decode()
        bad = base64.b64encode(b"anyone:wrong").decode()
        assert (
            post(f"{url}/setup", {"schema": TEXTCAT_CONFIG}, {"Authorization": f"Basic {good}"})[0]
            == 200
        )
        assert (
            post(f"{url}/setup", {"schema": TEXTCAT_CONFIG}, {"Authorization": f"Basic {bad}"})[0]
            == 401
        )
        assert post(f"{url}/webhook", {"action": "X"}, {"Authorization": "Basic !!"})[0] == 401
        assert post(f"{url}/webhook", {"action": "X"})[0] == 401


def test_label_studio_tasks_carrying_our_id_map_to_the_pool_example(tmp_path: Path) -> None:
    learner = ner_learner(tmp_path)
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner)
    ours = Example(text=TEXTS[7]).id
    assert ours == text_hash(TEXTS[7])
    payload = {
        "action": "ANNOTATION_CREATED",
        "annotation": annotation(7, [(0, 4, "PER")]),
        "task": {"id": 107, "data": {"sentence": TEXTS[7], "autonlp_al_id": ours}},
        "project": {"id": 1, "label_config": NER_CONFIG},
    }
    assert backend.webhook(payload, state_dir=None) == {"recorded": 1, "skipped": 0}
    backend.join(20)
    assert ours not in {e.id for e in learner.picker.unlabeled(learner.state.done())}


def test_serve_learn_needs_a_state_folder_and_a_positive_retrain_every(
    tmp_path: Path, capsys
) -> None:
    from autonlp_al.cli import main

    (tmp_path / "model").mkdir()
    assert main(["serve", str(tmp_path / "model"), "--learn"]) == 1
    assert "--learn records answers in a learner's state folder" in capsys.readouterr().err
    assert main(["serve", str(tmp_path), "--learn", "--retrain-every", "0"]) == 1
    assert "--retrain-every 0: must be above 0" in capsys.readouterr().err


def test_serve_learn_resumes_the_loop_and_trains_answers_left_untrained(tmp_path: Path) -> None:
    """A server stopped between recording answers and training them trains them on restart."""
    from autonlp_al.integrations.serve import learning_backend
    from autonlp_al.loop.config import LoopConfig, Part

    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps({"text": t}) + "\n" for t in TEXTS))
    config = LoopConfig(
        task="textcat",
        labels=["sport", "tech"],
        trainer=Part(kind="trainers", name="tfidf.v1"),
        strategy=Part(kind="strategies", name="margin.v1"),
        pool=Part(kind="sources", name="jsonl.v1", args={"path": str(pool)}),
        batch_size=2,
    )
    learner = config.build(tmp_path / "state")
    learner.record(
        [Example(text=TEXTS[0], labels=("sport",)), Example(text=TEXTS[1], labels=("tech",))]
    )
    backend = learning_backend(tmp_path / "state")  # a new process, as after a stop
    backend.join(60)
    assert backend.learner.state.n_untrained == 0 and len(backend.learner.history) == 1
    model, info = backend.slot.get()
    assert model is not None and info["n_labeled"] == 2 and info["round"] == 0


_KEYS = ["action", "annotation", "task", "project", "result", "value", "data", "text",
         "sentence", "start", "end", "labels", "choices", "type", "id", "was_cancelled",
         "label_config", "autonlp_al_id"]  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.sampled_from(["PER", "ORG", "labels",
    "choices", "ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", TEXTS[0],
    NER_CONFIG, "<View", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=5),
    max_leaves=25,
)  # fmt: skip


_REGION = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["labels", "choices", "rating", None]),
        "value": st.fixed_dictionaries(
            {
                "start": st.integers(-2, 30),
                "end": st.integers(-2, 30),
                "labels": st.lists(st.sampled_from(["PER", "ORG", "LOC", ""]), max_size=2),
            }
        )
        | _JSON,
    }
)
_ANNOTATION = st.fixed_dictionaries(
    {"result": st.lists(_REGION, max_size=3) | _JSON, "was_cancelled": st.booleans()},
    optional={"id": st.integers(0, 9), "task": st.integers(0, 3) | _JSON},
)
_TASK = st.fixed_dictionaries(
    {"data": st.fixed_dictionaries({"text": st.sampled_from(TEXTS) | st.text(max_size=6)}) | _JSON},
    optional={"id": st.integers(0, 3)},
)
_PAYLOAD = (
    st.fixed_dictionaries(
        {
            "action": st.sampled_from(
                ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED", "X", 3]
            ),
            "annotation": _ANNOTATION | st.lists(_ANNOTATION, max_size=2) | _JSON,
            "task": _TASK | st.lists(_TASK, max_size=2) | _JSON,
        }
    )
    | _JSON
)
_OUTCOMES: Counter[str] = Counter()


@settings(max_examples=300, deadline=None, derandomize=True)  # the next test counts outcomes
@given(payload=_PAYLOAD)
def test_any_webhook_payload_is_answered_never_raised(payload) -> None:
    """Whatever JSON arrives at /webhook, the backend answers with counts (a 200): nothing it
    cannot use raises, and what it records passes the learner's checks."""
    with tempfile.TemporaryDirectory() as tmp:
        learner = ner_learner(Path(tmp))
        backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=10**9)
        answer = backend.webhook(payload, state_dir=Path(tmp))
        assert isinstance(answer, dict) and answer.get("recorded", 0) >= 0
        assert learner.state.n_untrained == len({e.id for e in learner.state.labeled_examples()})
        assert len(learner.state.labeled_examples()) <= answer.get("recorded", 0)
        _OUTCOMES["recorded" if answer.get("recorded") else "skipped"] += 1


def test_the_webhook_fuzz_reaches_recording() -> None:
    """The property above means something only if its payloads get recorded, not only skipped."""
    _OUTCOMES.clear()
    test_any_webhook_payload_is_answered_never_raised()
    assert _OUTCOMES["recorded"] >= 5 and _OUTCOMES["skipped"] >= 100, _OUTCOMES


@settings(max_examples=200, deadline=None)
@given(
    tasks=st.lists(
        st.fixed_dictionaries(
            {
                "data": st.fixed_dictionaries(
                    {
                        "text": st.text(max_size=30)
                        | st.sampled_from(["a \ud800 b", "x" * 40])
                        | _JSON
                    }
                )
                | _JSON
            },
            optional={"id": _JSON},
        )
        | _JSON,
        max_size=6,
    )
)
def test_any_task_list_gets_one_prediction_per_task(tasks) -> None:
    """A task without text, with a lone surrogate, or of another shape gets an empty result (and
    a count), never a broken stream: the reply has begun when a chunk is predicted."""
    from autonlp_al.testing import FakeModel

    model = FakeModel(task="textcat", labels=["sport", "tech"], version="m1")
    backend = LabelStudioBackend(slot=ModelSlot(model), chunk=2, max_chars=25)
    body = json.loads(b"".join(backend.predict({"tasks": tasks})))
    assert len(body["results"]) == len(tasks)
    assert all(r["model_version"] == "m1" for r in body["results"])


def test_a_predict_request_that_cannot_be_answered_is_a_422_before_any_byte() -> None:
    from autonlp_al.testing import FakeModel

    slot = ModelSlot(FakeModel(task="textcat", labels=["a", "b"], version="m1"))
    with running(create_app(slot)) as url:
        assert post(f"{url}/predict", {"tasks": "x"})[0] == 422
        status, body = post(f"{url}/predict", {"tasks": [], "label_config": "<View><Text"})
        assert status == 422 and "not XML" in body["error"]
        assert post(f"{url}/predict", {"tasks": [], "label_config": TEXTCAT_CONFIG}) == (
            200,
            {"model_version": "m1", "results": []},
        )


def test_an_unreadable_labeling_config_in_a_webhook_does_not_cost_the_answer(tmp_path) -> None:
    learner = ner_learner(tmp_path)
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=99)
    payload = {
        "action": "ANNOTATION_CREATED",
        "annotation": annotation(3, [(0, 4, "PER")]),
        "task": {"id": 103, "data": {"text": TEXTS[3]}},
        "project": {"id": 1, "label_config": "<View><Text"},
    }
    assert backend.webhook(payload, state_dir=tmp_path) == {"recorded": 1, "skipped": 0}
    assert "labeling config ignored" in (tmp_path / SKIPPED_FILE).read_text()


def test_a_failed_retrain_is_shown_keeps_the_answers_and_the_next_answer_retries(
    tmp_path: Path,
) -> None:
    learner = ActiveLearner.create(
        trainer=ScriptedTrainer(fail_on=1),
        strategy=MNLP(),
        pool=[Example(text=t) for t in TEXTS],
        labels=["PER", "ORG"],
        state_dir=tmp_path / "state",
    )
    slot = ModelSlot(None)
    backend = LabelStudioBackend(slot=slot, learner=learner)

    def send(i: int) -> None:
        payload = {
            "action": "ANNOTATION_CREATED",
            "annotation": annotation(i, [(0, 4, "PER")]),
            "task": {"id": 100 + i, "data": {"text": TEXTS[i]}},
        }
        assert backend.webhook(payload)["recorded"] == 1
        backend.join(20)

    send(0)
    status = backend.status()
    assert "scripted failure" in status["errors"][0] and status["untrained"] == 1
    assert slot.get()[0] is None  # still serving what it served
    send(1)
    status = backend.status()
    assert status["untrained"] == 0 and status["rounds"] == 1 and status["labelled"] == 2
    assert slot.get()[1]["n_labeled"] == 2


def _created(i: int, spans: list[tuple[int, int, str]], updated: str) -> dict:
    return {
        "action": "ANNOTATION_CREATED",
        "annotation": annotation(i, spans, updated_at=updated),
        "task": {"id": 100 + i, "data": {"text": TEXTS[i]}},
    }


def _annotated_events(state: Path) -> int:
    lines = (state / "events.jsonl").read_text().splitlines()
    return sum(json.loads(line)["type"] == "annotated" for line in lines)


def test_a_redelivered_annotation_is_recorded_once_even_after_a_restart(tmp_path) -> None:
    """Label Studio redelivers a webhook it got no reply to: 0.2 logged and trained it again."""
    learner = ner_learner(tmp_path)
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=99)
    payload = _created(3, [(0, 4, "PER")], "2026-12-07T10:00:00Z")
    assert backend.webhook(payload)["recorded"] == 1
    assert backend.webhook(payload) == {"recorded": 0, "skipped": 0, "redelivered": 1}
    assert _annotated_events(tmp_path / "state") == 1
    resumed = ner_learner(tmp_path)
    again = LabelStudioBackend(slot=ModelSlot(None), learner=resumed, retrain_every=99)
    assert again.webhook(payload)["redelivered"] == 1
    update = _created(3, [(0, 4, "ORG")], "2026-12-07T10:05:00Z")  # the same annotation, edited
    assert again.webhook(update)["recorded"] == 1
    assert _annotated_events(tmp_path / "state") == 2


def test_an_empty_classification_result_is_counted_never_recorded(tmp_path) -> None:
    learner = ActiveLearner.create(
        trainer=ScriptedTrainer(task="textcat"),
        strategy=MNLP(),
        pool=[Example(text=t) for t in TEXTS],
        labels=["sport", "tech"],
        state_dir=tmp_path / "state",
    )
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=99)
    payload = {
        "action": "ANNOTATION_CREATED",
        "annotation": {"id": 9, "task": 109, "result": [], "was_cancelled": False},
        "task": {"id": 109, "data": {"text": TEXTS[9]}},
    }
    assert backend.webhook(payload, state_dir=tmp_path) == {"recorded": 0, "skipped": 1}
    assert learner.state.n_untrained == 0
    assert "empty result" in (tmp_path / SKIPPED_FILE).read_text()


def test_many_annotations_of_one_task_write_one_answer(tmp_path) -> None:
    """One request naming one task with 1,000 annotations wrote 360x its size (issue 30): the
    latest answer to a task wins anyway, so one request records one answer a task."""
    learner = ner_learner(tmp_path)
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=99)
    spans = [(0, 4, "PER"), (9, 13, "PER"), (0, 4, "ORG")]
    annotations = [
        {**annotation(3, [spans[n % 3]], updated_at=f"2026-12-07T10:{n // 60:02d}:{n % 60:02d}Z"),
         "id": 5000 + n}
        for n in range(1000)
    ]  # fmt: skip
    payload = {
        "action": "ANNOTATIONS_CREATED",
        "annotation": annotations,
        "task": [task(3, "text")],
    }
    size = len(json.dumps(payload))
    before = (tmp_path / "state" / "events.jsonl").stat().st_size
    assert backend.webhook(payload)["recorded"] == 1
    written = (tmp_path / "state" / "events.jsonl").stat().st_size - before
    assert written < size / 50
    (latest,) = [e for e in learner.state.labeled_examples() if e.text == TEXTS[3]]
    assert latest.spans == (Span(*spans[999 % 3]),)


def test_a_delivery_refused_for_a_full_disk_is_recorded_when_retried(tmp_path, monkeypatch) -> None:
    """A 507 tells Label Studio to retry: the retry is not a redelivery of something on disk."""
    import errno

    from autonlp_al.errors import StorageError
    from autonlp_al.loop.journal import EventLog

    learner = ner_learner(tmp_path)
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=99)
    payload = _created(4, [(0, 4, "PER")], "2026-12-07T11:00:00Z")
    append = EventLog.append

    def full(self, event):
        from autonlp_al._files import storage

        with storage(self.path):  # the append's own translation of a full disk
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(EventLog, "append", full)
    with pytest.raises(StorageError):
        backend.webhook(payload)
    monkeypatch.setattr(EventLog, "append", append)
    assert backend.webhook(payload) == {"recorded": 1, "skipped": 0}


def test_a_skipped_payload_that_cannot_be_kept_is_a_507_not_a_500(tmp_path, monkeypatch) -> None:
    """The skipped file keeps what the webhook could not use; on a full disk it cannot, and
    the reply must say so (a StorageError, which serve answers with 507), not a raw OSError."""
    from autonlp_al.errors import StorageError
    from tests.loop.test_full_disk import Disk

    learner = ner_learner(tmp_path)
    backend = LabelStudioBackend(slot=ModelSlot(None), learner=learner, retrain_every=99)
    Disk(monkeypatch, SKIPPED_FILE)
    with pytest.raises(StorageError, match=f"{SKIPPED_FILE}: no space left"):
        backend.webhook({"action": "ANNOTATION_CREATED"}, state_dir=tmp_path)
