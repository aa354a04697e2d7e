"""``LoopConfig``: a whole active-learning loop in one frozen, validated record, read from and
written to a spaCy-style config file that a person can edit::

    [loop]
    task = "ner"
    labels = ["PER", "ORG", "LOC", "MISC"]
    lang = "en"
    batch_size = 25
    seed = 0
    pool_sample = null
    dedupe = false

    [trainer]
    @trainers = "transformers.v1"
    model = "/models/minilm"
    lr = 0.0002

    [selector]
    @trainers = "embedding.v1"

    [selector.encoder]
    @encoders = "transformers.v1"
    model = "/models/minilm"

    [strategy]
    @strategies = "hybrid.v1"

    [strategy.uncertainty]
    @strategies = "total_token_entropy.v1"

    [cold_start]
    @strategies = "random.v1"

    [pool]
    @sources = "jsonl.v1"
    path = "/data/pool.jsonl"

    [scorer]
    @scorers = "local.v1"

Every part is named by its registry name (``@trainers``, ``@strategies``, ``@sources``,
``@stopping``, ``@encoders``) with its arguments; parts nest. ``[selector]`` is optional: with it,
rounds train the selector and ``[trainer]`` makes the final model (see ``ActiveLearner``).
The loop's ``task``, ``lang`` and ``seed`` are passed
to every part that takes an argument of that name and was not given one. :meth:`LoopConfig.build`
makes the learner; the CLI, the Prodigy recipes, ``simulate`` and Python all go through here, and
``query`` / ``update`` in separate processes read the copy saved in the state folder.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import attrs

from .. import registry
from ..errors import ConfigError, RegistryError
from ..types import Example, _str_tuple, _tuple
from .journal import CONFIG_FILE

if TYPE_CHECKING:
    from ..pools.base import Pool
    from .learner import ActiveLearner, Oracle

__all__ = [
    "CONFIG_FILE",
    "RECOMMENDED",
    "LoopConfig",
    "Part",
    "parameters",
    "recommended_trainer_args",
    "strategy_tasks",
]

# registry kind -> the key that names a part of that kind in a config section
_KEYS = {f"@{kind}": kind for kind in registry.KINDS}
# loop-level values handed to the parts that take them
_SHARED = ("task", "lang", "seed")
# the [loop] settings, and the sections that name a part, in file order
_SETTINGS = (
    "task",
    "labels",
    "lang",
    "batch_size",
    "seed",
    "pool_sample",
    "dedupe",
    "final_every",
    "ship",
)
_PARTS = ("trainer", "selector", "strategy", "cold_start", "pool", "seed_data", "scorer")


#: Trainer settings for a loop's rounds, per task, from the label-efficiency benchmark
#: (docs/benchmarks.md): few labels need a higher learning rate and a bounded number of steps.
RECOMMENDED: Mapping[str, Mapping[str, Any]] = {
    "ner": {"lr": 2e-4, "epochs": 20, "max_steps": 50},
    "textcat": {"lr": 1e-4, "epochs": 20, "max_steps": 20},
}


def recommended_trainer_args(task: str) -> dict[str, Any]:
    """The recommended per-round trainer settings for ``task`` (a copy)."""
    return dict(RECOMMENDED.get(task, {}))


def _args(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    # a path is written to the config file as the string it is
    return {k: str(v) if isinstance(v, PurePath) else v for k, v in (value or {}).items()}


@attrs.frozen(kw_only=True)
class Part:
    """One backend: its registry ``kind`` and ``name`` (``"transformers.v1"``, or the bare name
    for the newest version), with its arguments; an argument may itself be a :class:`Part`."""

    kind: str = attrs.field(validator=attrs.validators.in_(registry.KINDS))
    name: str
    args: Mapping[str, Any] = attrs.field(factory=dict, converter=_args)

    def factory(self) -> Any:
        """The registered class or function (raises :class:`RegistryError` listing the names)."""
        return registry.get(self.kind, self.name)

    def build(self, shared: Mapping[str, Any] | None = None) -> Any:
        """The object: nested parts first, then ``factory(**args)``, plus any of ``shared`` the
        factory takes and ``args`` does not set."""
        factory = self.factory()
        accepted = parameters(factory)
        kwargs = {k: v.build(shared) if isinstance(v, Part) else v for k, v in self.args.items()}
        for key, value in (shared or {}).items():
            if accepted is not None and key in accepted and key not in kwargs:
                kwargs[key] = value
        unknown = sorted(set(kwargs) - accepted) if accepted is not None else []
        if unknown:
            raise ConfigError(
                f"[{self.kind}] {self.name!r} takes no argument {unknown[0]!r}; it takes: "
                f"{', '.join(sorted(accepted or ())) or 'nothing'}"
            )
        try:
            return factory(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{self.kind} {self.name!r}: cannot build it ({exc})") from exc

    def to_dict(self) -> dict[str, Any]:
        """The config section: ``{"@kind": name, **args}`` with nested parts as sub-sections; a
        bare name is written with the version it resolves to now (``"mnlp"`` -> ``"mnlp.v1"``)."""
        out: dict[str, Any] = {f"@{self.kind}": registry.resolve(self.kind, self.name)}
        for key, value in self.args.items():
            out[key] = value.to_dict() if isinstance(value, Part) else value
        return out

    @classmethod
    def from_dict(cls, section: Mapping[str, Any], *, where: str) -> Part:
        """Read a section holding exactly one ``@kind`` key; sub-sections with one become parts."""
        keys = [k for k in section if k.startswith("@")]
        if len(keys) != 1 or keys[0] not in _KEYS:
            raise ConfigError(
                f"[{where}] needs exactly one of {', '.join(sorted(_KEYS))} naming a registered "
                f'part, e.g. @strategies = "margin.v1"; found {keys or "none"}'
            )
        args = {
            k: cls.from_dict(v, where=f"{where}.{k}") if _is_part(v) else v
            for k, v in section.items()
            if k != keys[0]
        }
        return cls(kind=_KEYS[keys[0]], name=str(section[keys[0]]), args=args)


def _is_part(value: Any) -> bool:
    return isinstance(value, Mapping) and any(str(k).startswith("@") for k in value)


def parameters(factory: Any) -> set[str] | None:
    """The keyword arguments ``factory`` (a registered class or function) takes, or ``None``
    when it takes ``**kwargs``; the config and the CLI pass a part only what it takes."""
    if attrs.has(factory) and getattr(factory, "__signature__", None) is None:
        return {a.alias or a.name.lstrip("_") for a in attrs.fields(factory) if a.init}
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters}


def _task(_: Any, __: Any, value: str) -> None:
    if value not in ("ner", "textcat"):
        raise ConfigError(f'[loop] task = {value!r}; use "ner" or "textcat"')


def _labels(_: Any, __: Any, value: tuple[str, ...]) -> None:
    if not value or any(not label.strip() for label in value):
        raise ConfigError(
            f'[loop] labels = {list(value)!r}; give the label set, e.g. ["PER", "ORG"]'
        )
    if len(set(value)) != len(value):
        raise ConfigError(f"[loop] labels = {list(value)!r} has a duplicate; list each once")


def _positive(_: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value < 1:
        raise ConfigError(f"[loop] {attribute.name} = {value!r}; it must be at least 1")


def _ship(_: Any, __: Any, value: str) -> None:
    from .choice import SHIP

    if value not in SHIP:
        raise ConfigError(f"[loop] ship = {value!r}: use one of {', '.join(map(repr, SHIP))}")


def _kind(*kinds: str) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        parts = value if isinstance(value, tuple) else (value,)
        for part in parts:
            if part is None:
                continue
            if not isinstance(part, Part) or part.kind not in kinds:
                raise ConfigError(
                    f"[{attribute.name}] must name a part of kind {' or '.join(map(repr, kinds))}"
                )
            try:
                part.factory()
            except RegistryError as exc:
                raise ConfigError(f"[{attribute.name}] {exc}") from exc

    return check


def strategy_tasks(part: Part) -> tuple[str, ...]:
    """The tasks a strategy part can score (one that wraps others, like a hybrid's uncertainty
    stage or a stochastic draw's base: only those its inner strategies score too)."""
    tasks: tuple[str, ...] = getattr(part.factory(), "tasks", ("ner", "textcat"))
    for inner in part.args.values():
        if isinstance(inner, Part) and inner.kind == "strategies":
            tasks = tuple(t for t in tasks if t in strategy_tasks(inner))
    return tasks


def _random() -> Part:
    return Part(kind="strategies", name="random.v1")


@attrs.frozen(kw_only=True)
class LoopConfig:
    """Everything that defines a loop, validated once (every part name is checked against its
    registry); :meth:`build` makes the objects. Data sets are parts too (``pool``, ``seed_data``),
    or are handed to :meth:`build` directly.

    Args:
        task: ``"ner"`` or ``"textcat"``.
        labels: the label set, in label-map order.
        trainer: a ``trainers`` part, e.g. ``Part(kind="trainers", name="transformers.v1",
            args={"model": "path/to/minilm"})``: the final model (and, without a selector,
            each round's).
        selector: a cheap ``trainers`` part that trains each round's model (e.g.
            ``embedding.v1`` or ``tfidf.v1``); the trainer then runs only for final models.
        final_every: with a selector, also train a final model every this many rounds.
        ship: which model a final checkpoint ships (serve, push, pre-annotation):
            ``"best"`` (default) the selector or the final model, whichever scores better on
            held-out folds of the labelled data (:mod:`~autonlp_al.loop.choice`); ``"final"``
            or ``"selector"`` pins it.
        strategy: a ``strategies`` part for the rounds with a model.
        cold_start: picks the first batch before any model (default random).
        pool: a ``sources`` part reading the unlabelled pool into memory, or a ``pools`` part
            (``parquet.v1``, ``jsonl.v1``, ``hf_disk.v1``) streaming it from disk every round.
        seed_data: a ``sources`` part reading an already labelled seed set.
        stopping: ``stopping`` parts (criteria that end :meth:`ActiveLearner.run`).
        lang: the spaCy language every example is tokenised in, once.
        batch_size, seed, pool_sample: as :class:`~autonlp_al.loop.learner.ActiveLearner`.
        scorer: a ``scorers`` part (``local.v1``, ``ray.v1``): where selections are scored.
        dedupe: read ``pool`` and ``seed_data`` through
            :class:`~autonlp_al.sources.base.Deduplicated` (each text once, repeats counted).
    """

    task: str = attrs.field(validator=_task)
    labels: tuple[str, ...] = attrs.field(converter=_str_tuple, validator=_labels)
    trainer: Part = attrs.field(validator=_kind("trainers"))
    strategy: Part = attrs.field(validator=_kind("strategies"))
    selector: Part | None = attrs.field(default=None, validator=_kind("trainers"))
    cold_start: Part = attrs.field(factory=_random, validator=_kind("strategies"))
    pool: Part | None = attrs.field(default=None, validator=_kind("sources", "pools"))
    seed_data: Part | None = attrs.field(default=None, validator=_kind("sources"))
    stopping: tuple[Part, ...] = attrs.field(
        default=(), converter=_tuple, validator=_kind("stopping")
    )
    lang: str = "en"
    batch_size: int = attrs.field(default=10, validator=_positive)
    seed: int = 0
    pool_sample: int | None = attrs.field(default=None, validator=_positive)
    dedupe: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    final_every: int | None = attrs.field(default=None, validator=_positive)
    ship: str = attrs.field(default="best", validator=_ship)
    scorer: Part | None = attrs.field(default=None, validator=_kind("scorers"))

    def __attrs_post_init__(self) -> None:
        if self.ship != "best" and self.selector is None:
            raise ConfigError(
                f"[loop] ship = {self.ship!r} chooses between a [selector] and the final model; "
                f"this loop has no selector, so its one model is what ships: leave ship out"
            )
        for name in ("strategy", "cold_start"):
            tasks = strategy_tasks(getattr(self, name))
            if self.task not in tasks:
                fitting = [
                    n
                    for n in registry.short_names("strategies")
                    if self.task in strategy_tasks(Part(kind="strategies", name=n))
                ]
                raise ConfigError(
                    f"[{name}] {getattr(self, name).name!r} scores {' and '.join(tasks)}, not "
                    f"{self.task}; strategies for {self.task}: {', '.join(fitting)}"
                )

    # -- building -----------------------------------------------------------------------------

    @property
    def shared(self) -> dict[str, Any]:
        """The loop values handed to every part that takes them."""
        return {name: getattr(self, name) for name in _SHARED}

    def build_trainer(self) -> Any:
        return self.trainer.build(self.shared)

    def build_selector(self) -> Any:
        """The selector, or ``None`` when the loop has one trainer for everything."""
        return None if self.selector is None else self.selector.build(self.shared)

    def build_round_trainer(self) -> Any:
        """What trains (and loads) each round's model: the selector if any, else the trainer."""
        return self.build_selector() if self.selector is not None else self.build_trainer()

    def build_strategy(self) -> Any:
        return self.strategy.build(self.shared)

    def read(self, part: Part | None) -> list[Example]:
        """The examples of a ``sources`` part (empty for ``None``); each text once if ``dedupe``."""
        if part is None:
            return []
        if part.kind == "pools":
            raise ConfigError(
                f"[{part.name}] is a pool on disk, not a source of examples; name a source "
                f"(@sources) here"
            )
        source = part.build()
        if self.dedupe:
            from ..sources.base import Deduplicated

            source = Deduplicated(source)
        return list(source.read())

    def build(
        self,
        state_dir: str | Path,
        *,
        pool: Sequence[Example] | Pool | None = None,
        labeled: Sequence[Example] | None = None,
        eval: Sequence[Example] = (),
        oracle: Oracle | None = None,
        trainer: Any = None,
        save: bool = True,
    ) -> ActiveLearner:
        """The learner this config describes, its state in ``state_dir`` (where the config is
        saved, unless ``save=False``). ``pool`` / ``labeled`` default to reading the ``pool`` /
        ``seed_data`` parts; ``trainer`` replaces the built one (e.g. a test's fake)."""
        from ..converters.tokenize import SpacyTokenizer
        from .learner import ActiveLearner

        self.build_stopping()  # a stopping part that cannot be built fails before any round
        if pool is None:
            if self.pool is None:
                raise ConfigError(
                    'no pool: add a [pool] section naming a source (e.g. @sources = "jsonl.v1" '
                    "with path = ...), or pass pool= to build()"
                )
            # a pool on disk stays there (each text is selected once: dedupe does not apply)
            pool = self.pool.build() if self.pool.kind == "pools" else self.read(self.pool)
        learner = ActiveLearner.create(
            trainer=trainer if trainer is not None else self.build_trainer(),
            strategy=self.build_strategy(),
            cold_start=self.cold_start.build(self.shared),
            pool=pool,
            labels=self.labels,
            state_dir=state_dir,
            labeled=self.read(self.seed_data) if labeled is None else labeled,
            eval=eval,
            batch_size=self.batch_size,
            seed=self.seed,
            oracle=oracle,
            pool_sample=self.pool_sample,
            tokenizer=SpacyTokenizer(self.lang) if self.task == "ner" else None,
            selector=self.build_selector(),
            final_every=self.final_every,
            ship=self.ship,
            scorer=None if self.scorer is None else self.scorer.build(self.shared),
        )
        if save:
            self.save(Path(state_dir) / CONFIG_FILE)
        return learner

    def build_stopping(self) -> list[Any]:
        return [part.build(self.shared) for part in self.stopping]

    # -- files --------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        loop = {name: getattr(self, name) for name in _SETTINGS}
        loop["labels"] = list(self.labels)
        out: dict[str, Any] = {"loop": loop}
        for name in _PARTS:
            part = getattr(self, name)
            if part is not None:
                out[name] = part.to_dict()
        if self.stopping:
            out["stopping"] = {f"c{i}": p.to_dict() for i, p in enumerate(self.stopping)}
        return out

    def to_str(self) -> str:
        from confection import Config

        return str(Config(self.to_dict()).to_str())

    def save(self, path: str | Path) -> Path:
        """Write the config file atomically; return its path."""
        from .._files import atomic_write

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            f.write(self.to_str() + "\n")
        return path

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "config") -> LoopConfig:
        loop = dict(data.get("loop") or {})
        unknown = sorted(set(data) - {"loop", "stopping", *_PARTS})
        if unknown:
            raise ConfigError(f"{where}: unknown section [{unknown[0]}]")
        if set(loop) - set(_SETTINGS):
            raise ConfigError(
                f"{where}: [loop] has no setting {sorted(set(loop) - set(_SETTINGS))[0]!r}; "
                f"settings: {', '.join(sorted(_SETTINGS))}"
            )
        for required in ("task", "labels"):
            if required not in loop:
                raise ConfigError(f"{where}: [loop] needs {required} = ...")
        for section in ("trainer", "strategy"):
            if not data.get(section):  # absent, or a header with nothing under it
                raise ConfigError(f"{where}: needs a [{section}] section naming a registered part")
        parts = {name: Part.from_dict(data[name], where=name) for name in _PARTS if data.get(name)}
        stopping = tuple(
            Part.from_dict(section, where=f"stopping.{key}")
            for key, section in dict(data.get("stopping") or {}).items()
        )
        return cls(**loop, **parts, stopping=stopping)  # type: ignore[arg-type]

    @classmethod
    def from_str(cls, text: str, *, where: str = "config") -> LoopConfig:
        from confection import Config

        try:
            data = Config().from_str(text, interpolate=False)
        except Exception as exc:  # confection raises its own error types for syntax
            raise ConfigError(f"{where}: not a valid config file ({exc})") from exc
        try:
            return cls.from_dict(data, where=where)
        except ConfigError as exc:
            if str(exc).startswith(where):
                raise
            raise ConfigError(f"{where}: {exc}") from exc

    @classmethod
    def from_file(cls, path: str | Path) -> LoopConfig:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file; write one or start with the CLI")
        return cls.from_str(path.read_text(encoding="utf-8"), where=str(path))

    @classmethod
    def from_state(cls, state_dir: str | Path) -> LoopConfig:
        """The config saved in a state folder by :meth:`build`."""
        path = Path(state_dir) / CONFIG_FILE
        if not path.is_file():
            raise ConfigError(
                f"{state_dir}: no {CONFIG_FILE}, so no loop was started here; start one with "
                f"autonlp-al query (or LoopConfig.build)"
            )
        return cls.from_file(path)

    def evolve(self, **changes: Any) -> LoopConfig:
        return attrs.evolve(self, **changes)

    def overridden(self, overrides: Mapping[str, Any]) -> LoopConfig:
        """This config with spaCy-style dotted overrides applied: ``{"trainer.max_steps": 200,
        "loop.batch_size": 20, "selector.encoder.max_length": 128}``. A key must name a
        section the config has and an argument its part takes (or a ``[loop]`` setting)."""
        data = self.to_dict()
        for key, value in overrides.items():
            *path, name = key.split(".")
            if not path or not name:
                raise ConfigError(f"override {key!r}: write it SECTION.KEY, e.g. trainer.max_steps")
            section: Any = data
            for i, step in enumerate(path):
                section = section.get(step) if isinstance(section, dict) else None
                if not isinstance(section, dict):
                    where = ".".join(path[: i + 1])
                    raise ConfigError(
                        f"override {key!r}: this loop has no [{where}] section; its sections: "
                        f"{', '.join(k for k in data if isinstance(data[k], dict))}"
                    )
            _check_key(key, section, name)
            section[name] = value
        return LoopConfig.from_dict(data, where="the overrides")


def _check_key(key: str, section: Mapping[str, Any], name: str) -> None:
    kind = next((k[1:] for k in section if str(k).startswith("@")), None)
    if kind is None:  # [loop]
        takes: set[str] | None = set(_SETTINGS)
    else:
        takes = parameters(registry.get(kind, section["@" + kind]))
        takes = None if takes is None else takes - set(_SHARED)
    if takes is not None and name not in takes:
        what = "[loop]" if kind is None else repr(section["@" + kind])
        raise ConfigError(
            f"override {key!r}: {what} takes no {name!r}; it takes: {', '.join(sorted(takes))}"
        )
