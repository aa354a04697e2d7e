"""LoopConfig: the file round trip, validation, building through the registries, and the CLI's
query / update in separate calls reading the config saved in the state folder."""

from __future__ import annotations

import json

import attrs
import pytest

from autonlp_al import ConfigError, Example, LoopConfig, Part, registry
from autonlp_al.cli import main
from autonlp_al.integrations.serve import load_for_serving
from autonlp_al.loop.config import CONFIG_FILE
from autonlp_al.strategies import MNLP, Hybrid, TokenEntropy
from autonlp_al.testing import FakeModel, ScriptedTrainer

NAMES = ["anna", "omar", "lena", "raj"]


def config(**changes) -> LoopConfig:
    base = LoopConfig(
        task="ner",
        labels=["PER", "ORG"],
        trainer=Part(kind="trainers", name="transformers.v1", args={"model": "m", "lr": 2e-4}),
        strategy=Part(
            kind="strategies",
            name="hybrid.v1",
            args={"uncertainty": Part(kind="strategies", name="total_token_entropy"), "factor": 3},
        ),
        stopping=[Part(kind="stopping", name="target_metric", args={"metric": "f1", "value": 0.9})],
        batch_size=25,
        pool_sample=500,
    )
    return attrs.evolve(base, **changes)


def test_round_trip_through_the_file(tmp_path) -> None:
    original = config(lang="de", seed=3)
    path = original.save(tmp_path / "loop.cfg")
    text = path.read_text()
    assert '@strategies = "hybrid.v1"' in text and "[strategy.uncertainty]" in text
    assert '[strategy.uncertainty]\n@strategies = "total_token_entropy.v1"' in text
    reread = LoopConfig.from_file(path)
    assert reread.to_str() == original.to_str()
    assert reread.build_strategy() == original.build_strategy()


def test_build_makes_the_parts_with_the_loop_values() -> None:
    built = config().build_strategy()
    assert isinstance(built, Hybrid) and built.factor == 3
    assert isinstance(built.uncertainty, TokenEntropy) and built.uncertainty.reduction == "sum"
    trainer = config(lang="de", seed=7).build_trainer()
    # task, lang and seed come from [loop]; lr from [trainer]
    assert (trainer.task, trainer.lang, trainer.seed, trainer.lr) == ("ner", "de", 7, 2e-4)
    (criterion,) = config().build_stopping()
    assert criterion.value == 0.9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": "pos"}, 'use "ner" or "textcat"'),
        ({"labels": []}, "give the label set"),
        ({"labels": ["A", "A"]}, "duplicate"),
        ({"batch_size": 0}, "at least 1"),
        ({"strategy": Part(kind="strategies", name="nope")}, "available: bald, coreset"),
        ({"strategy": Part(kind="trainers", name="transformers")}, "kind 'strategies'"),
    ],
)
def test_bad_configs_are_refused_with_the_fix(change, message) -> None:
    with pytest.raises(ConfigError, match=message):
        config(**change)


def test_bad_files_name_the_section(tmp_path) -> None:
    text = config().to_str()
    with pytest.raises(ConfigError, match=r"\[loop\] has no setting 'colour'"):
        LoopConfig.from_str(text.replace("[loop]", '[loop]\ncolour = "red"'))
    with pytest.raises(ConfigError, match=r"\[trainer\] needs exactly one of"):
        LoopConfig.from_str(text.replace('@trainers = "transformers.v1"', ""))
    with pytest.raises(ConfigError, match="takes no argument 'colour'"):
        config(
            trainer=Part(kind="trainers", name="transformers", args={"colour": 1})
        ).build_trainer()
    with pytest.raises(ConfigError, match="no such config file"):
        LoopConfig.from_file(tmp_path / "missing.cfg")
    with pytest.raises(ConfigError, match=r"no config\.cfg"):
        LoopConfig.from_state(tmp_path)


def test_build_tokenises_every_example_once_in_the_loop_language(tmp_path) -> None:
    pool = [Example(text="Das ist z.B. gut"), Example(text="Er kam z.B. heute")]
    learner = config(lang="de").build(tmp_path, pool=pool, trainer=ScriptedTrainer())
    assert [t.text for t in learner.picker.pool[0].tokens] == ["Das", "ist", "z.B.", "gut"]
    assert LoopConfig.from_state(tmp_path).to_str() == config(lang="de").to_str()  # saved


# -- a plugin trainer, registered in the test, reached from the CLI ---------------------------


@attrs.define
class PluginTrainer(ScriptedTrainer):
    """A third-party trainer: it takes the CLI's --model and --lr."""

    model: str = ""
    lr: float = 0.0


def write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_a_registered_trainer_runs_query_and_update_from_the_cli(tmp_path, capsys) -> None:
    registry.trainers.register("plugin.v1", func=PluginTrainer)
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    assert "plugin" in capsys.readouterr().out  # the choice appears without touching cli.py
    texts = [f"{NAMES[i % 4]} met a client in office {i}" for i in range(20)]
    write_jsonl(tmp_path / "pool.jsonl", [{"text": t} for t in texts[4:]])
    seed = [
        {"text": t, "spans": [{"start": 0, "end": len(t.split()[0]), "label": "PER"}]}
        for t in texts[:4]
    ]
    write_jsonl(tmp_path / "seed.jsonl", seed)
    state = tmp_path / "state"
    args = ["--task", "ner", "--labels", "PER", "--model", "m", "--trainer", "plugin"]
    assert (
        main(
            [
                "query",
                str(tmp_path / "pool.jsonl"),
                "--from",
                "jsonl",
                "--state-dir",
                str(state),
                "--seed-data",
                str(tmp_path / "seed.jsonl"),
                "--strategy",
                "hybrid",
                "--uncertainty",
                "total_token_entropy",
                "--batch-size",
                "3",
                *args,
            ]
        )
        == 0
    )
    saved = LoopConfig.from_state(state)
    # saved with the versions the bare names resolved to, and the recommended round settings
    assert saved.trainer.name == "plugin.v1" and saved.trainer.args["lr"] == 2e-4
    assert saved.strategy.args["uncertainty"].name == "total_token_entropy.v1"
    tasks = [
        json.loads(x) for x in (state / "queries" / "round-001.jsonl").read_text().splitlines()
    ]
    assert len(tasks) == 3
    answers = [
        {
            **t,
            "spans": [{"start": 0, "end": len(t["text"].split()[0]), "label": "PER"}],
            "answer": "accept",
        }
        for t in tasks
    ]
    write_jsonl(tmp_path / "answers.jsonl", answers)
    # another "process": only the state folder carries the loop
    answers = str(tmp_path / "answers.jsonl")
    assert main(["update", answers, "--state-dir", str(state), "--from", "prodigy"]) == 0
    assert "round 1: 7 labelled" in capsys.readouterr().out
    # serving the state folder loads the round's model through the loop's own (plugin) trainer
    model, info = load_for_serving(state)
    assert isinstance(model, FakeModel) and info["round"] == 1 and info["n_labeled"] == 7


def test_cli_refuses_an_option_the_trainer_does_not_take(tmp_path, capsys) -> None:
    write_jsonl(tmp_path / "pool.jsonl", [{"text": "anna came"}])
    code = main(
        [
            "query",
            str(tmp_path / "pool.jsonl"),
            "--from",
            "jsonl",
            "--state-dir",
            str(tmp_path / "s"),
            "--task",
            "ner",
            "--labels",
            "PER",
            "--model",
            "m",
            "--hardware",
            "t4-small",
        ]
    )
    assert code == 1
    assert "--hardware does not apply to --trainer transformers" in capsys.readouterr().err
    assert not (tmp_path / "s" / CONFIG_FILE).exists()  # a refused run leaves no settings


def test_a_part_by_bare_name_builds_the_newest_version() -> None:
    assert Part(kind="strategies", name="mnlp").build() == MNLP()


def test_a_refused_simulate_leaves_no_config(tmp_path, capsys) -> None:
    """A pool with a repeated text is refused before any training; the state folder must not
    then hold a config.cfg that looks like a started run (simulate wrote it first)."""
    # two repeated texts: whichever one the seed set takes, the other stays in the pool twice
    rows = [
        {"text": t, "spans": [{"start": 0, "end": 4, "label": "PER"}]}
        for t in ("anna came", "omar left")
    ]
    write_jsonl(tmp_path / "gold.jsonl", rows * 2)
    code = main(
        [
            "simulate",
            str(tmp_path / "gold.jsonl"),
            str(tmp_path / "gold.jsonl"),
            "--from",
            "jsonl",
            "--task",
            "ner",
            "--labels",
            "PER",
            "--model",
            "m",
            "--state-dir",
            str(tmp_path / "sim"),
            "--seed-size",
            "1",
        ]
    )
    assert code == 1 and "duplicate texts" in capsys.readouterr().err
    assert not (tmp_path / "sim" / CONFIG_FILE).exists()


@pytest.mark.parametrize("name", ["token_entropy", "mean_token_entropy", "total_token_entropy",
                                  "max_token_entropy", "mnlp"])  # fmt: skip
def test_token_strategies_are_known_to_score_ner_only(name) -> None:
    from autonlp_al.loop.config import strategy_tasks

    assert strategy_tasks(Part(kind="strategies", name=name)) == ("ner",)
    with pytest.raises(ConfigError, match=f"'{name}' scores ner, not textcat"):
        LoopConfig(
            task="textcat",
            labels=["a", "b"],
            trainer=Part(kind="trainers", name="transformers", args={"model": "m"}),
            strategy=Part(kind="strategies", name=name),
        )


def test_update_after_a_run_that_stopped_while_training_trains_the_kept_answers(
    tmp_path, capsys
) -> None:
    registry.trainers.register("plugin.v1", func=PluginTrainer)
    texts = [f"{NAMES[i % 4]} met a client in office {i}" for i in range(12)]
    write_jsonl(tmp_path / "pool.jsonl", [{"text": t} for t in texts])
    state = tmp_path / "state"
    options = ["--task", "ner", "--labels", "PER", "--model", "m", "--trainer", "plugin",
               "--strategy", "random", "--batch-size", "3"]  # fmt: skip
    query = ["query", str(tmp_path / "pool.jsonl"), "--from", "jsonl", "--state-dir", str(state)]
    assert main([*query, *options]) == 0
    tasks = [
        json.loads(x) for x in (state / "queries" / "round-000.jsonl").read_text().splitlines()
    ]
    write_jsonl(tmp_path / "answers.jsonl", [{**t, "answer": "accept"} for t in tasks])
    update = ["update", str(tmp_path / "answers.jsonl"), "--from", "prodigy", "--state-dir",
              str(state)]  # fmt: skip
    config = (state / "config.cfg").read_text()
    (state / "config.cfg").write_text(config.replace('model = "m"', 'model = "m"\nfail_on = 1'))
    with pytest.raises(RuntimeError, match="scripted failure"):  # stopped while training
        main(update)
    (state / "config.cfg").write_text(config)
    capsys.readouterr()
    assert main(update) == 0  # said "no open query" before
    printed = capsys.readouterr().out
    assert "the 3 answers of the last update were recorded before it stopped" in printed
    assert "round 0: 3 labelled" in printed


def test_a_truncated_config_in_a_state_folder_is_a_config_error_not_a_traceback(
    tmp_path, capsys
) -> None:
    registry.trainers.register("plugin.v1", func=PluginTrainer)
    write_jsonl(
        tmp_path / "pool.jsonl", [{"text": f"{NAMES[i % 4]} in office {i}"} for i in range(8)]
    )
    state = tmp_path / "state"
    options = ["--task", "ner", "--labels", "PER", "--model", "m", "--trainer", "plugin",
               "--strategy", "random", "--batch-size", "3"]  # fmt: skip
    assert main(["query", str(tmp_path / "pool.jsonl"), "--from", "jsonl", "--state-dir",
                 str(state), *options]) == 0  # fmt: skip
    config = (state / CONFIG_FILE).read_text()
    (state / CONFIG_FILE).write_text(config[: len(config) // 2])  # a copy cut off half-way
    capsys.readouterr()
    write_jsonl(tmp_path / "answers.jsonl", [{"text": "x", "answer": "accept"}])
    for command in (["query", "--state-dir", str(state)],
                    ["update", str(tmp_path / "answers.jsonl"), "--from", "prodigy",
                     "--state-dir", str(state)]):  # fmt: skip
        assert main(command) != 0
        err = capsys.readouterr().err
        assert "config.cfg" in err and "Traceback" not in err


def test_threads_and_precision_flags_land_in_the_trainer_config(tmp_path, capsys) -> None:
    write_jsonl(
        tmp_path / "pool.jsonl", [{"text": f"{NAMES[i % 4]} in office {i}"} for i in range(8)]
    )
    state = tmp_path / "state"
    base = ["query", str(tmp_path / "pool.jsonl"), "--from", "jsonl", "--task", "ner",
            "--labels", "PER", "--model", "m", "--threads", "1", "--precision", "fp32"]  # fmt: skip
    assert main([*base, "--state-dir", str(state)]) == 0
    trainer = LoopConfig.from_state(state).trainer
    assert trainer.args["threads"] == 1 and trainer.args["precision"] == "fp32"
    capsys.readouterr()
    assert main([*base, "--state-dir", str(tmp_path / "s2"), "--trainer", "autotrain"]) != 0
    assert "--precision does not apply to --trainer autotrain" in capsys.readouterr().err


def test_precision_int8_is_a_cli_choice_that_reaches_the_trainer(tmp_path) -> None:
    write_jsonl(
        tmp_path / "pool.jsonl", [{"text": f"{NAMES[i % 4]} in office {i}"} for i in range(8)]
    )
    state = tmp_path / "state"
    command = ["query", str(tmp_path / "pool.jsonl"), "--from", "jsonl", "--task", "ner",
               "--labels", "PER", "--model", "m", "--precision", "int8",
               "--state-dir", str(state)]  # fmt: skip
    assert main(command) == 0
    assert LoopConfig.from_state(state).trainer.args["precision"] == "int8"


def test_a_path_argument_is_saved_as_its_string(tmp_path) -> None:
    part = Part(kind="trainers", name="transformers", args={"model": tmp_path / "minilm"})
    assert part.args["model"] == str(tmp_path / "minilm")
    config = LoopConfig(
        task="ner", labels=["PER"], trainer=part, strategy=Part(kind="strategies", name="mnlp")
    )
    assert LoopConfig.from_str(config.to_str()).trainer.args["model"] == str(tmp_path / "minilm")
