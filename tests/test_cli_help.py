"""What a newcomer sees: ``--help`` grouped with defaults and choices, report lines that read
well, errors that name flags, and ``--dedupe`` for every source."""

from __future__ import annotations

import json

import pytest

from autonlp_al import registry
from autonlp_al.cli import main
from tests.conftest import write_jsonl


def help_of(capsys, *command: str, every: bool = False) -> str:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help-all" if every else "--help"])
    assert done.value.code == 0
    return str(capsys.readouterr().out)


def test_top_level_help_is_for_users_not_developers(capsys) -> None:
    text = help_of(capsys)
    assert "``" not in text and ":class:" not in text
    assert "autonlp-al query" in text and "autonlp-al update" in text  # the loop, as an example


@pytest.mark.parametrize("command", ["query", "simulate", "train", "update", "convert"])
def test_source_options_are_grouped_by_the_source_that_takes_them(capsys, command) -> None:
    text = help_of(capsys, command, every=True)
    sections = {line.rstrip(":") for line in text.splitlines() if line.endswith(":")}
    assert {"--from prodigy", "--from jsonl", "--from csv", "--from conll", "input"} <= sections
    assert "--from doccano / jsonl" in sections  # the options both take
    shared = text.split("--from doccano / jsonl:")[1].split("\n\n")[0]
    assert "--text-field" in shared and "--text-column" not in shared
    jsonl = text.split("--from jsonl:")[1].split("\n\n")[0]
    assert "--tokens-field" in jsonl and "--text-field" not in jsonl


def test_loop_help_shows_defaults_and_every_strategy(capsys) -> None:
    text = help_of(capsys, "query", every=True)
    for name in registry.short_names("strategies"):
        assert name in text.split("--strategy")[1].split("--uncertainty")[0]
    seed = next(line for line in text.splitlines() if line.strip().startswith("--seed SEED"))
    assert "(default: 0)" in seed
    lr = " ".join(text.split("--lr LR")[1].split("--max-length")[0].split())  # unwrapped
    assert lr == "learning rate (default: 1e-4; per round without --selector: 2e-4 for ner)"
    assert text.startswith("usage: autonlp-al query [POOL --from FORMAT] --state-dir DIR")


def test_every_loop_command_takes_the_state_folder_the_same_way(capsys) -> None:
    for command in ("simulate", "query", "update"):
        assert "--state-dir DIR" in help_of(capsys, command)


def test_convert_report_lines_do_not_repeat_or_claim_nothing_was_read(tmp_path, capsys) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "one", "label": "a"}])
    assert main(["convert", str(src), str(tmp_path / "out.jsonl"), "--from", "jsonl",
                 "--to", "autotrain"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "converted: converted" not in out and "nothing read" not in out
    assert out.splitlines()[0] == f"read {src}: examples: 1, read: 1"
    assert main(["convert", str(src), str(tmp_path / "out.conll"), "--from", "jsonl",
                 "--to", "iob"]) == 0  # fmt: skip
    assert "conversion: converted: 1" in capsys.readouterr().out


def test_a_source_option_error_names_flags_not_python_fields(tmp_path, capsys) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "one"}])
    code = main(["convert", str(src), str(tmp_path / "o.jsonl"), "--from", "jsonl",
                 "--to", "prodigy", "--text-column", "x"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "--text-column does not apply to --from jsonl" in err
    assert "--text-field" in err and "text_field" not in err


@pytest.mark.parametrize("source", ["jsonl", "csv"])
def test_dedupe_works_for_every_source_and_counts_conflicts(tmp_path, capsys, source) -> None:
    rows = [("one", "a"), ("two", "b"), ("one", "a"), ("one", "b")]
    if source == "jsonl":
        src = write_jsonl(tmp_path / "in.jsonl", [{"text": t, "label": c} for t, c in rows])
        options = []
    else:
        src = tmp_path / "in.csv"
        src.write_text("text,label\n" + "".join(f"{t},{c}\n" for t, c in rows))
        options = ["--label-column", "label"]
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(src), str(out), "--from", source, "--to", "autotrain",
                 "--dedupe", *options]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert [json.loads(x)["target"] for x in out.read_text().splitlines()] == ["a", "b"]
    assert "examples: 2" in printed
    assert "skipped 1 (duplicate text)" in printed
    assert "skipped 1 (duplicate text, different annotation (first kept))" in printed
    assert "total skipped: 2" in printed


def test_query_reuses_the_saved_loop_and_dedupes_a_pool(tmp_path, capsys) -> None:
    from autonlp_al.loop.config import LoopConfig

    pool = write_jsonl(tmp_path / "pool.jsonl", [{"text": f"text {i % 7}"} for i in range(9)])
    state = tmp_path / "run"
    # duplicates are refused with the way out named ...
    common = ["--task", "textcat", "--labels", "a,b", "--model", "unused", "--strategy", "random"]
    code = main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), *common])
    assert code == 1 and "--dedupe" in capsys.readouterr().err
    # ... and --dedupe takes it (random cold start: no model is loaded for round 0)
    assert main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), *common,
                 "--batch-size", "3", "--dedupe"]) == 0  # fmt: skip
    assert "round 0: wrote 3 tasks" in capsys.readouterr().out
    assert LoopConfig.from_state(state).dedupe is True
    # a second query needs no loop options: it reads DIR/config.cfg (the same open query)
    assert main(["query", "--state-dir", str(state)]) == 0
    printed = capsys.readouterr().out
    assert f"the loop saved in {state / 'config.cfg'}" in printed and "round 0" in printed
    # without a saved loop, the options are asked for
    assert main(["query", "--state-dir", str(tmp_path / "new")]) == 1
    assert "--task is required" in capsys.readouterr().err


def test_a_trainer_option_error_lists_flags(tmp_path, capsys) -> None:
    code = main(["train", "x", "y", "--from", "jsonl", "--task", "ner", "--labels", "A",
                 "--model", "m", "--trainer", "autotrain", "--early-stopping-patience", "2"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "--early-stopping-patience does not apply to --trainer autotrain" in err
    assert "--batch-size" in err and "--hub-endpoint" in err and "max_usd" not in err


def test_textcat_defaults_to_the_hybrid_strategy(tmp_path, capsys) -> None:
    from autonlp_al.loop.config import LoopConfig

    pool = write_jsonl(tmp_path / "pool.jsonl", [{"text": f"text {i}"} for i in range(9)])
    state = tmp_path / "run"
    assert main(["query", str(pool), "--from", "jsonl", "--state-dir", str(state), "--task",
                 "textcat", "--labels", "a,b", "--model", "unused", "--batch-size", "3"]) == 0  # fmt: skip
    assert LoopConfig.from_state(state).strategy.name == "hybrid.v1"
