"""Every config key is used (issue 28): each ``[loop]`` setting changes the loop
``LoopConfig.build`` makes, and each argument a part's section may hold (the full list that
``autonlp-al init config`` writes) changes the object built from it; a key nothing takes is
refused."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from autonlp_al import Example, Span
from autonlp_al.errors import AutoNLPALError, ConfigError
from autonlp_al.loop.config import LoopConfig, Part
from autonlp_al.loop.defaults import filled
from autonlp_al.testing import ScriptedTrainer

POOL = [Example(text=f"Anna met Omar in Bonn {i}", spans=[Span(0, 4, "PER")]) for i in range(12)]


def config(**changes: Any) -> LoopConfig:
    parts: dict[str, Any] = {
        "trainer": Part(kind="trainers", name="transformers", args={"model": "m"}),
        "strategy": Part(kind="strategies", name="mnlp"),
    }
    return LoopConfig(**{"task": "ner", "labels": ["PER"], **parts, **changes})


def built(tmp_path, cfg: LoopConfig) -> dict[str, Any]:
    """What a built loop is made of, as data."""
    learner = cfg.build(tmp_path / "state", pool=POOL, trainer=ScriptedTrainer(), save=False)
    picker = learner.picker
    return {
        "settings": picker.settings(),
        "pool_sample": picker.pool_sample,
        "pool": len(picker.pool),
        "lang": picker.tokenizer.lang if picker.tokenizer is not None else None,
        "labels": learner.labels,
        "final_every": learner.checkpoints.final_every,
        "ship": learner.checkpoints.ship,
        "selector": type(learner.training.selector).__name__,
        "scorer": type(picker.scorer).__name__,
    }


# a [loop] setting, and a value other than its default (with what the value needs)
SETTINGS = [
    ("labels", ("PER", "ORG"), {}),
    ("lang", "de", {}),
    ("batch_size", 3, {}),
    ("seed", 5, {}),
    ("pool_sample", 4, {}),
    ("dedupe", True, {}),
    ("final_every", 2, {"selector": "embedding"}),
    ("ship", "selector", {"selector": "embedding"}),
]


def _needs(needs: dict[str, Any], model: str) -> dict[str, Any]:
    if not needs:
        return {}
    encoder = Part(kind="encoders", name="transformers", args={"model": model})
    return {"selector": Part(kind="trainers", name="embedding", args={"encoder": encoder})}


def test_every_loop_setting_is_listed_here() -> None:
    written = set(config().to_dict()["loop"]) - {"task"}  # task: the next test
    assert written == {name for name, _, _ in SETTINGS}


@pytest.mark.parametrize(("name", "value", "needs"), SETTINGS)
def test_every_loop_setting_changes_the_built_loop(tiny_bert, tmp_path, name, value, needs) -> None:
    if name == "dedupe":  # what dedupe changes is the pool read from the [pool] source
        source = tmp_path / "pool.jsonl"
        source.write_text("".join(f'{{"text": "{e.text[:-1]}"}}\n' for e in POOL))
        pool = Part(kind="sources", name="jsonl", args={"path": str(source)})
        assert len(config(pool=pool).read(pool)) == 12
        assert len(config(pool=pool, dedupe=True).read(pool)) == 2
        return
    needs = _needs(needs, str(tiny_bert))
    base = built(tmp_path / "a", config(**needs))
    assert built(tmp_path / "b", config(**needs, **{name: value})) != base


def test_the_task_changes_the_built_loop_or_is_refused() -> None:
    with pytest.raises(ConfigError, match="'mnlp' scores ner, not textcat"):
        config(task="textcat")


def test_ship_without_a_selector_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError, match="this loop has no selector"):
        config(ship="final")
    with pytest.raises(ConfigError, match="use one of 'best', 'final', 'selector'"):
        config(ship="winner")


def test_a_loop_setting_nothing_takes_is_refused() -> None:
    data = config().to_dict()
    data["loop"]["rounds"] = 5
    with pytest.raises(ConfigError, match="no setting 'rounds'"):
        LoopConfig.from_dict(data)


def _arguments() -> list[tuple[str, str, Any]]:
    """Every (section, argument, default) a filled config writes for the built-in parts of a
    loop with a selector, an encoder and a k-means cold start."""
    encoder = Part(kind="encoders", name="transformers", args={"model": "m"})
    full = filled(
        config(
            selector=Part(kind="trainers", name="embedding", args={"encoder": encoder}),
            cold_start=Part(kind="strategies", name="kmeans", args={"embedder": encoder}),
            strategy=Part(
                kind="strategies",
                name="hybrid",
                args={"uncertainty": Part(kind="strategies", name="mnlp")},
            ),
            scorer=Part(kind="scorers", name="local"),
        )
    )
    out = []
    for section in ("trainer", "selector", "strategy", "cold_start", "scorer"):
        part = getattr(full, section)
        for key, value in part.args.items():
            if not isinstance(value, Part):
                out.append((section, key, value))
    return out


def _other(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 3
    if value is None:
        return 2
    return f"{value}-other" if isinstance(value, str) else value


@pytest.mark.parametrize(("section", "key", "default"), _arguments())
def test_every_part_argument_changes_the_built_part_or_is_refused(
    tiny_bert, section, key, default
) -> None:
    encoder = Part(kind="encoders", name="transformers", args={"model": str(tiny_bert)})
    sections = {
        "trainer": Part(kind="trainers", name="transformers", args={"model": str(tiny_bert)}),
        "selector": Part(kind="trainers", name="embedding", args={"encoder": encoder}),
        "strategy": Part(kind="strategies", name="hybrid"),
        "cold_start": Part(kind="strategies", name="kmeans", args={"embedder": encoder}),
        "scorer": Part(kind="scorers", name="local"),
    }
    part = sections[section]
    shared = {"task": "ner", "lang": "en", "seed": 0}
    base = attrs.asdict(part.build(shared), recurse=False)
    changed_part = attrs.evolve(part, args={**part.args, key: _other(default)})
    try:
        changed = attrs.asdict(changed_part.build(shared), recurse=False)
    except (AutoNLPALError, ValueError, TypeError) as exc:  # refused, saying why
        assert str(exc)
        return
    assert changed != base, f"[{section}] {key} = {_other(default)!r} changes nothing"
