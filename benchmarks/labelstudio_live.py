"""A real Label Studio server drives ``autonlp-al serve --learn`` as its ML backend, for a NER
project and a text classification project (``nox -s integration``; not part of CI).

Run with the Python of a venv that has ``label-studio`` (its server and ``label_studio_sdk``);
``--autonlp-al`` names the ``autonlp-al`` command of a venv with ``autonlp_al[local,serve]``::

    python benchmarks/labelstudio_live.py --autonlp-al .nox/integration/bin/autonlp-al \\
        --label-studio /path/to/ls-venv/bin/label-studio --model MINILM_FOLDER

Steps, each timed: start Label Studio (SQLite, a loopback port), make a personal access token,
create both projects with the SDK, import tasks, start one ``serve --learn`` per project and
connect it as the project's model (Label Studio calls /health and /setup and makes the
/webhook), retrieve predictions (before any answer: the untrained version), post annotations
through the API (Label Studio sends each to /webhook), wait until the learner has recorded every
one and retrained, retrieve predictions again and check they come from the new model. Exits
non-zero on any failed check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests  # Label Studio's venv has it
from label_studio_sdk import LabelStudio

NAMES = ["anna", "omar", "lena", "raj", "mia", "ivan", "zoe", "paul"]
ORGS = ["apple", "siemens", "nokia", "airbus"]
TOPICS = {
    "sport": ["match", "goal", "team", "league", "coach", "season"],
    "tech": ["software", "chip", "phone", "internet", "computer", "network"],
    "business": ["shares", "market", "profit", "bank", "investors", "sales"],
}
NER_CONFIG = """<View>
  <Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Text name="text" value="$text"/>
</View>"""
TEXTCAT_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="topic" toName="text"><Choice value="sport"/><Choice value="tech"/>
  <Choice value="business"/></Choices>
</View>"""


def log_file(path: Path):  # type: ignore[no-untyped-def]
    """A server's log; the child process keeps it open as long as it runs."""
    return path.open("w")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} did not answer {url} within {timeout:.0f} s")


def ner_corpus(rng: random.Random, n: int) -> list[dict]:
    out = []
    for i in range(n):
        name, org = rng.choice(NAMES), rng.choice(ORGS)
        text = f"{name} joined {org} in plant {i}"
        out.append(
            {
                "text": text,
                "spans": [(0, len(name), "PER"), (len(name) + 8, len(name) + 8 + len(org), "ORG")],
            }
        )
    return out


def textcat_corpus(rng: random.Random, n: int) -> list[dict]:
    out = []
    for i in range(n):
        topic = list(TOPICS)[i % 3]
        words = rng.sample(TOPICS[topic], 3)
        out.append(
            {
                "text": f"story {i}: the {words[0]} and the {words[1]} after the {words[2]}",
                "label": topic,
            }
        )
    return out


class Timer:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float]] = []

    def __call__(self, name: str):  # type: ignore[no-untyped-def]
        timer = self

        class _Step:
            def __enter__(self) -> None:
                self.start = time.perf_counter()
                print(f"... {name}", flush=True)

            def __exit__(self, *exc: object) -> None:
                timer.rows.append((name, time.perf_counter() - self.start))

        return _Step()


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {message}")
    print(f"ok: {message}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--autonlp-al", required=True, help="the autonlp-al command to serve with")
    parser.add_argument("--label-studio", required=True, help="the label-studio command")
    parser.add_argument("--model", required=True, help="base model folder for the NER loop")
    parser.add_argument("--answers", type=int, default=8, help="annotations posted per project")
    args = parser.parse_args()
    rng = random.Random(0)
    time_it = Timer()
    work = Path(tempfile.mkdtemp(prefix="ls-live-"))
    processes: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(work / "ls-data"),
        # Label Studio refuses loopback and private addresses for models and webhooks by
        # default (SSRF protection); both servers run on this machine here
        "SSRF_PROTECTION_ENABLED": "false",
        "USE_DEFAULT_BANNED_SUBNETS": "false",
    }
    try:
        ls_port = free_port()
        base = f"http://127.0.0.1:{ls_port}"
        with time_it("start Label Studio (SQLite, migrations on first start)"):
            processes.append(
                subprocess.Popen(
                    [
                        args.label_studio,
                        "start",
                        "--port",
                        str(ls_port),
                        "--no-browser",
                        "--username",
                        "admin@example.com",
                        "--password",
                        "pass12345",
                    ],
                    env=env,
                    stdout=log_file(work / "ls.log"),
                    stderr=subprocess.STDOUT,
                )
            )
            wait_http(f"{base}/health", 300, "Label Studio")
        with time_it("log in, make a personal access token"):
            session = requests.Session()
            session.get(f"{base}/user/login/")
            session.post(
                f"{base}/user/login/",
                headers={"Referer": f"{base}/user/login/"},
                data={
                    "email": "admin@example.com",
                    "password": "pass12345",
                    "csrfmiddlewaretoken": session.cookies.get("csrftoken"),
                },
            )
            made = session.post(
                f"{base}/api/token/",
                headers={"X-CSRFToken": session.cookies.get("csrftoken"), "Referer": base},
            )
            check(made.status_code == 201, f"a personal access token ({made.status_code})")
            client = LabelStudio(base_url=base, api_key=made.json()["token"])

        projects = {
            "ner": (
                NER_CONFIG,
                ner_corpus(rng, 40),
                [
                    "--task",
                    "ner",
                    "--labels",
                    "PER,ORG",
                    "--model",
                    args.model,
                    "--max-steps",
                    "30",
                    "--lr",
                    "5e-4",
                    "--threads",
                    "1",
                ],
            ),
            "textcat": (
                TEXTCAT_CONFIG,
                textcat_corpus(rng, 60),
                [
                    "--task",
                    "textcat",
                    "--labels",
                    "sport,tech,business",
                    "--selector",
                    "tfidf",
                    "--model",
                    args.model,
                ],
            ),
        }
        for task, (config, corpus, loop) in projects.items():
            state, pool = work / f"state-{task}", work / f"pool-{task}.jsonl"
            pool.write_text("".join(json.dumps({"text": r["text"]}) + "\n" for r in corpus))
            with time_it(f"{task}: autonlp-al query (the loop's config and first query)"):
                subprocess.run(
                    [
                        args.autonlp_al,
                        "query",
                        str(pool),
                        "--from",
                        "jsonl",
                        "--state-dir",
                        str(state),
                        "--batch-size",
                        "4",
                        *loop,
                    ],
                    check=True,
                    env=env,
                )
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            with time_it(f"{task}: start autonlp-al serve --learn"):
                processes.append(
                    subprocess.Popen(
                        [args.autonlp_al, "serve", str(state), "--learn", "--port", str(port)],
                        env=env,
                        stdout=log_file(work / f"serve-{task}.log"),
                        stderr=subprocess.STDOUT,
                    )
                )
                wait_http(f"{url}/health", 120, f"autonlp-al serve ({task})")
            with time_it(f"{task}: create the project, import {len(corpus)} tasks (SDK)"):
                project = client.projects.create(title=f"autonlp_al {task}", label_config=config)
                client.projects.import_tasks(
                    id=project.id, request=[{"text": r["text"]} for r in corpus]
                )
                tasks = {t.data["text"]: t.id for t in client.tasks.list(project=project.id)}
                check(len(tasks) == len(corpus), f"{task}: {len(tasks)} tasks in Label Studio")
            with time_it(f"{task}: connect the model (Label Studio calls /health, /setup)"):
                client.ml.create(
                    project=project.id, url=url, title="autonlp_al", is_interactive=False
                )
            with time_it(f"{task}: retrieve predictions for every task (untrained)"):
                client.actions.create(
                    id="retrieve_tasks_predictions",
                    project=project.id,
                    selected_items={"all": True, "excluded": []},
                )
                before = client.predictions.list(project=project.id)
                check(
                    len(before) == len(corpus),
                    f"{task}: {len(before)} predictions before any answer",
                )
                check(
                    {p.model_version for p in before} == {"untrained"}, f"{task}: from no model yet"
                )
            answered = corpus[: args.answers]
            with time_it(f"{task}: post {len(answered)} annotations (each a webhook)"):
                for row in answered:
                    if task == "ner":
                        result = [
                            {
                                "from_name": "label",
                                "to_name": "text",
                                "type": "labels",
                                "value": {
                                    "start": s,
                                    "end": e,
                                    "text": row["text"][s:e],
                                    "labels": [lab],
                                },
                            }
                            for s, e, lab in row["spans"]
                        ]
                    else:
                        result = [
                            {
                                "from_name": "topic",
                                "to_name": "text",
                                "type": "choices",
                                "value": {"choices": [row["label"]]},
                            }
                        ]
                    client.annotations.create(id=tasks[row["text"]], result=result)
            with time_it(f"{task}: every answer recorded, retrained, new model served"):
                deadline = time.time() + 600
                while True:
                    status = requests.get(f"{url}/labelstudio", timeout=5).json()
                    done = (
                        status["counts"].get("recorded", 0) >= len(answered)
                        and status["untrained"] == 0
                        and not status["retraining"]
                    )
                    if done or status["errors"] or time.time() > deadline:
                        break
                    time.sleep(1)
                print(json.dumps(status), flush=True)
                recorded = status["counts"].get("recorded", 0)
                check(
                    recorded == len(answered),
                    f"{task}: the learner recorded {recorded} of {len(answered)} answers",
                )
                check(
                    not status["errors"] and status["untrained"] == 0,
                    f"{task}: all trained on, no error",
                )
                events = [json.loads(line) for line in (state / "events.jsonl").open()]
                logged = {
                    e["text"] for ev in events if ev["type"] == "annotated" for e in ev["examples"]
                }
                check(
                    {r["text"] for r in answered} <= logged,
                    f"{task}: every answer is in the event log",
                )
                version = status["version"]
                check(version != "untrained", f"{task}: serving {version}")
            with time_it(f"{task}: read the live project (--from labelstudio_api)"):
                exported = work / f"{task}-from-api.jsonl"
                subprocess.run(
                    [args.autonlp_al, "convert", f"{base}/projects/{project.id}/data",
                     str(exported), "--from", "labelstudio_api", "--to", "autotrain"],
                    check=True, env={**env, "LABEL_STUDIO_API_KEY": made.json()["token"]},
                )  # fmt: skip
                rows = exported.read_text().splitlines()
                check(len(rows) == len(answered), f"{task}: {len(rows)} answers read back live")
            with time_it(f"{task}: retrieve predictions again (the new model)"):
                client.actions.create(
                    id="retrieve_tasks_predictions",
                    project=project.id,
                    selected_items={"all": True, "excluded": []},
                )
                after = [
                    p
                    for p in client.predictions.list(project=project.id)
                    if p.model_version == version
                ]
                check(len(after) == len(corpus), f"{task}: {len(after)} predictions from {version}")
                unseen = [p for p in after if p.task not in {tasks[r["text"]] for r in answered}]
                with_result = sum(1 for p in unseen if p.result)
                print(
                    f"{task}: {with_result} of {len(unseen)} unanswered tasks pre-annotated",
                    flush=True,
                )
                check(with_result > 0, f"{task}: the new model pre-annotates unanswered tasks")
        print()
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        print(f"{'step':<72} {'seconds':>8}")
        for name, seconds in time_it.rows:
            print(f"{name:<72} {seconds:>8.1f}")
        return 0
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
