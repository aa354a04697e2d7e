"""The live Label Studio project source against a loopback Label Studio API."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from autonlp_al import Span
from autonlp_al.errors import SourceError
from autonlp_al.sources import LabelStudioProjectSource
from tests.sources.ls_standin import LEGACY, REFRESH, LabelStudio

REGION = {"type": "labels", "value": {"start": 0, "end": 8, "labels": ["PER"]}}
EXPORT = [
    {"id": 7, "data": {"text": "Tim Cook", "autonlp_al_id": 42},
     "annotations": [{"id": 1, "result": [REGION]}]},
    {"id": 8, "data": {"text": "Skipped one"},
     "annotations": [{"id": 2, "result": [], "was_cancelled": True}]},
]  # fmt: skip


@pytest.fixture(scope="module")
def studio() -> LabelStudio:
    return LabelStudio()


def test_a_personal_access_token_is_exchanged_and_the_project_read(studio, monkeypatch) -> None:
    url = studio.add(json.dumps(EXPORT).encode())
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", REFRESH)
    source = LabelStudioProjectSource(path=url)
    examples = list(source.read())
    assert [(e.text, e.id, e.spans) for e in examples] == [("Tim Cook", 42, (Span(0, 8, "PER"),))]
    assert source.report.skipped["cancelled annotation"] == 1
    project = url.split("/projects/")[1].split("/")[0]
    assert str(examples[0].origin) == f"{studio.url}/projects/{project}#task:1"
    assert studio.requests[-2:] == [
        "/api/token/refresh/",
        f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true",
    ]


def test_a_legacy_token_is_sent_as_is(studio, monkeypatch) -> None:
    url = studio.add(json.dumps(EXPORT[:1]).encode())
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LEGACY)
    assert [e.text for e in LabelStudioProjectSource(path=url).read()] == ["Tim Cook"]
    assert studio.requests[-1].startswith("/api/projects/")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "no Label Studio token in \\$LABEL_STUDIO_API_KEY"),
        ("not-the-token", "refused the token in \\$LABEL_STUDIO_API_KEY \\(HTTP 401\\)"),
    ],
)
def test_a_missing_or_refused_token_is_named(studio, monkeypatch, token, message) -> None:
    url = studio.add(b"[]")
    if token:
        monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    with pytest.raises(SourceError, match=message):
        list(LabelStudioProjectSource(path=url).read())


def test_an_unreachable_server_and_bad_urls_are_typed_errors(monkeypatch) -> None:
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LEGACY)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError, match="could not reach Label Studio"):
        list(LabelStudioProjectSource(path=f"http://127.0.0.1:{port}/projects/1").read())
    for bad in ("ftp://host/projects/1", "http://host/project/1", "projects/1"):
        with pytest.raises(SourceError, match="not a Label Studio project URL"):
            list(LabelStudioProjectSource(path=bad).read())


def test_convert_reads_a_project_url_from_the_command_line(
    studio, tmp_path: Path, monkeypatch
) -> None:
    from autonlp_al.cli import main

    url = studio.add(json.dumps(EXPORT).encode())
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LEGACY)
    out = tmp_path / "train.jsonl"
    args = ["convert", url, str(out), "--from", "labelstudio_api", "--to", "autotrain"]
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{"tokens": ["Tim", "Cook"], "tags": ["B-PER", "I-PER"]}]
