"""Every accepted option is used (issue 28): each option of every command, given a value other
than its default, either changes what the command will do (its ``plan``: the loop config, the
source, the writer, the server's settings ...) or is refused with one of our typed errors (or
argparse's usage error) saying why. Each command runs from its plan, so an option that reaches
the plan reaches the run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from autonlp_al.cli import convert, init, label, parse, query, serve, simulate, train
from autonlp_al.cli import parser as cli_parser
from autonlp_al.errors import AutoNLPALError, ConfigError
from autonlp_al.loop.config import LoopConfig, Part

PLANS = {
    "convert": convert.plan,
    "train": train.plan,
    "evaluate": train.plan_evaluate,
    "simulate": simulate.plan,
    "query": query.plan,
    "update": query.plan_update,
    "train-final": query.plan_final,
    "label": label.plan,
    "report": label.plan_report,
    "serve": serve.plan,
    "push": serve.plan_push,
    "init": init.plan,
}
LOOP = ["--task", "ner", "--labels", "PER", "--model", "m"]
BASE = {
    "convert": ["in.jsonl", "out.jsonl", "--from", "jsonl", "--to", "autotrain"],
    "train": ["in.jsonl", "model", "--from", "jsonl", *LOOP],
    "evaluate": ["model", "in.jsonl", "--from", "jsonl"],
    "simulate": ["in.jsonl", "test.jsonl", "--from", "jsonl", "--state-dir", "sim", *LOOP],
    "query": ["in.jsonl", "--from", "jsonl", "--state-dir", "new", *LOOP],
    "update": ["answers.jsonl", "--from", "prodigy", "--state-dir", "state"],
    "train-final": ["--state-dir", "state"],
    "label": ["tasks.jsonl", "answers.jsonl"],
    "report": ["state"],
    "serve": ["state"],
    "push": ["model", "me/model"],
    "init": ["config", "loop.cfg", *LOOP],
}
# a value for string options, by dest (anything else: "x")
STRINGS = {
    "labels": "PER,ORG",
    "model": "another-model",
    "config": "other.cfg",
    "seed_data": "in.jsonl",
    "token_file": "token.txt",
    "eval": "test.jsonl",
    "output": "elsewhere.jsonl",
    "source_args": "text=body",
    "endpoint": "http://127.0.0.1:9",
    "hub_endpoint": "http://127.0.0.1:9",
    "encoder": "encoder",
}


def values(action: argparse.Action) -> list[list[str]]:
    """The option strings to try for ``action``: every choice other than the default; else one
    value other than the default."""
    flag = action.option_strings[-1]
    if action.nargs == 0:
        return [[flag]]
    if action.choices:
        return [[flag, str(c)] for c in action.choices if c != action.default]
    if action.type is int:  # (no default: 7, as 3 is what some commands do without one)
        return [[flag, str((action.default or 4) + 3)]]
    if action.type is float:
        return [[flag, str((action.default or 0.25) * 2)]]
    return [[flag, STRINGS.get(action.dest, "x")]]


def normal(value: Any) -> Any:
    """A plan as plain, comparable data."""
    if isinstance(value, LoopConfig | Part):
        return value.to_dict()
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if attrs.has(type(value)):
        return normal(attrs.asdict(value, recurse=False))
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if isinstance(value, Path):
        return str(value)
    return str(getattr(value, "root", value))  # a journal: its folder


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Files the commands' plans look at: a state folder, a config, a token file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "events.jsonl").write_text('{"type": "config"}\n')
    LoopConfig(
        task="ner",
        labels=["PER"],
        trainer=Part(kind="trainers", name="transformers", args={"model": "m"}),
        strategy=Part(kind="strategies", name="mnlp"),
        batch_size=7,
    ).save(tmp_path / "other.cfg")
    (tmp_path / "token.txt").write_text("secret\n")
    (tmp_path / "in.jsonl").write_text(json.dumps({"text": "Anna"}) + "\n")
    return tmp_path


def plan(argv: list[str]) -> Any:
    args = parse(argv)
    return normal(PLANS[args.command](args))


def options(command: str) -> list[argparse.Action]:
    sub = next(a for a in cli_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return [
        a
        for a in sub.choices[command]._actions
        if a.option_strings and not isinstance(a, argparse._HelpAction)
    ]


@pytest.mark.parametrize("command", sorted(BASE))
def test_every_option_changes_the_plan_or_is_refused(workdir, command: str, capsys) -> None:
    """An option is ignored when every value it accepts leaves the plan as it is. (One value may
    be what is in effect anyway: ``--strategy mnlp`` where MNLP is the default, ``--from
    jsonl`` where the base command reads JSONL.)"""
    base = plan([command, *BASE[command]])
    ignored = []
    for action in options(command):
        if action.dest == "force":  # overwriting needs a file to overwrite: its own test
            continue
        accepted_only_as_it_was = True
        for extra in values(action):
            try:
                changed = plan([command, *BASE[command], *extra])
            except AutoNLPALError as exc:
                assert str(exc), extra  # refused, saying why
                accepted_only_as_it_was = False
                continue
            except SystemExit as exc:  # argparse's usage error, printed
                assert exc.code == 2 and "error:" in capsys.readouterr().err, extra
                accepted_only_as_it_was = False
                continue
            if changed != base:
                accepted_only_as_it_was = False
        if accepted_only_as_it_was:
            ignored.append(action.option_strings[-1])
    assert ignored == [], f"autonlp-al {command}: accepted and changes nothing: {ignored}"


def test_init_force_is_what_lets_it_replace_a_config(workdir) -> None:
    argv = ["init", *BASE["init"]]
    plan(argv)
    (workdir / "loop.cfg").write_text("# mine\n")
    with pytest.raises(AutoNLPALError, match="exists; pass --force"):
        plan(argv)
    assert plan([*argv, "--force"])["output"] == "loop.cfg"


def test_options_beside_a_config_file_are_applied_over_it(workdir) -> None:
    argv = ["simulate", "in.jsonl", "test.jsonl", "--from", "jsonl", "--state-dir", "sim"]
    config = plan([*argv, "--config", "other.cfg", "--max-steps", "5", "--strategy", "margin",
                   "--task", "textcat"])["config"]  # fmt: skip
    assert config["loop"]["batch_size"] == 7  # the file's
    assert config["trainer"]["max_steps"] == 5 and config["strategy"]["@strategies"] == "margin.v1"
    with pytest.raises(AutoNLPALError, match="--hardware does not apply to the config's trainer"):
        plan([*argv, "--config", "other.cfg", "--hardware", "t4-small"])


def test_a_state_folders_saved_loop_refuses_options_that_would_change_it(workdir) -> None:
    """``query --state-dir DIR --strategy margin`` used to keep the saved strategy and say
    nothing; the saved loop is the state folder's, so such an option is refused."""
    saved = workdir / "state" / "config.cfg"
    (workdir / "other.cfg").rename(saved)
    assert plan(["query", "--state-dir", "state"])["config"]["loop"]["batch_size"] == 7
    with pytest.raises(AutoNLPALError, match="--strategy: the loop of state is saved"):
        plan(["query", "--state-dir", "state", "--strategy", "margin"])


SIMULATE = ["simulate", "in.jsonl", "test.jsonl", "--from", "jsonl", "--state-dir", "sim"]


def test_any_config_key_is_an_override_as_in_spacy(workdir) -> None:
    config = plan([*SIMULATE, "--config", "other.cfg", "--trainer.max_steps", "7",
                   "--loop.batch_size=3", "--trainer.multi-label"])["config"]  # fmt: skip
    assert config["loop"]["batch_size"] == 3 and config["trainer"]["max_steps"] == 7
    assert config["trainer"]["multi_label"] is True  # a bare override is true
    # over the flags, too, and over a part the flags built
    config = plan([*SIMULATE, *LOOP, "--selector", "tfidf", "--selector.c", "0.5"])["config"]
    assert config["selector"]["c"] == 0.5 and config["loop"]["batch_size"] == 10


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (["--trainer.max_stepz", "3"], "'transformers.v1' takes no 'max_stepz'; it takes: "),
        (["--selector.c", "3"], "no \\[selector\\] section; its sections: loop, trainer"),
        (["--loop.rounds", "3"], "\\[loop\\] takes no 'rounds'"),
        (["--loop.batch_size", "0"], "at least 1"),
    ],
)
def test_an_override_that_fits_no_key_is_refused(workdir, override, message) -> None:
    with pytest.raises(AutoNLPALError, match=message):
        plan([*SIMULATE, "--config", "other.cfg", *override])


def test_overrides_are_refused_where_no_loop_is_built_or_the_loop_is_saved(workdir, capsys):
    with pytest.raises(SystemExit):
        plan(["convert", *BASE["convert"], "--trainer.max_steps", "3"])
    assert "convert takes no config overrides" in capsys.readouterr().err
    (workdir / "other.cfg").rename(workdir / "state" / "config.cfg")
    with pytest.raises(AutoNLPALError, match=r"--trainer\.max_steps: the loop of state is saved"):
        plan(["query", "--state-dir", "state", "--trainer.max_steps", "3"])


def test_help_shows_few_options_and_help_all_every_one(capsys) -> None:
    for command in ("simulate", "query", "train", "convert", "init"):
        with pytest.raises(SystemExit):
            parse([command, "--help"])
        short = capsys.readouterr().out
        with pytest.raises(SystemExit):
            parse([command, "--help-all"])
        full = capsys.readouterr().out
        count = [
            sum(line.lstrip().startswith("-") for line in t.splitlines()) for t in (short, full)
        ]
        assert count[0] <= 25 < count[1], (command, count)
        assert f"more options: autonlp-al {command} --help-all" in short
        flags = {a.option_strings[-1] for a in options(command)}
        assert all(flag in full for flag in flags), command


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "example.org", "::"])
def test_learning_off_loopback_needs_a_token(workdir, monkeypatch, host) -> None:
    """Anyone who could reach the port could write answers into the state folder (issue 30)."""
    monkeypatch.delenv("AUTONLP_AL_TOKEN", raising=False)
    with pytest.raises(ConfigError, match=rf"--learn on --host {host} without a token"):
        plan(["serve", "state", "--learn", "--host", host])
    assert plan(["serve", "state", "--learn", "--host", host, "--token-file", "token.txt"])
    for loopback in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert plan(["serve", "state", "--learn", "--host", loopback])["token"] is None
