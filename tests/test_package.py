import subprocess
import sys

import pytest

import autonlp_al
from autonlp_al import errors

HEAVY = "{'torch', 'transformers', 'spacy', 'huggingface_hub', 'numpy', 'srsly'}"


@pytest.mark.parametrize(
    ("modules", "allowed"),
    [
        ("autonlp_al", set()),
        # srsly (and through it numpy) is fine once a reader or writer is used; spaCy is not:
        # it is imported only when something is tokenised or a DocBin written.
        (
            "autonlp_al.sources, autonlp_al.converters, autonlp_al.writers, autonlp_al.cli, "
            "autonlp_al.trainers, autonlp_al.metrics, autonlp_al.integrations.serve, autonlp_al.loop.learner",
            {"numpy", "srsly"},
        ),
    ],
)
def test_import_is_light(modules: str, allowed: set[str]) -> None:
    code = f"import sys, {modules}; print(sorted({HEAVY} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(eval(out.stdout)) <= allowed


def test_public_names_unique_and_present() -> None:
    # their order is ruff's (RUF022, isort-style), checked by nox -s lint
    assert len(set(autonlp_al.__all__)) == len(autonlp_al.__all__)
    for name in autonlp_al.__all__:
        assert getattr(autonlp_al, name) is not None
    assert {"ActiveLearner", "LoopConfig", "TransformersTrainer", "ProdigySource"} <= set(
        autonlp_al.__all__
    )


def test_top_level_names_load_lazily_without_heavy_imports() -> None:
    code = (
        "import sys; from autonlp_al import ActiveLearner, TransformersTrainer, ProdigySource, "
        "Converter, LoopConfig, Margin, AutoTrainTrainer; "
        f"print(sorted({HEAVY} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(eval(out.stdout)) <= {"numpy", "srsly"}


def test_the_learner_imports_no_backend() -> None:
    code = (
        "import sys, autonlp_al.loop.learner; "
        "print(sorted(m for m in sys.modules if m.startswith('autonlp_al')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)
    backends = [
        m
        for m in loaded
        if m.startswith(
            (
                "autonlp_al.trainers.",
                "autonlp_al.sources.",
                "autonlp_al.writers",
                "autonlp_al.pools.",
                "autonlp_al.scorers.",
            )
        )
        and not m.endswith((".base", "pools.memory"))  # a list is the pool a learner is given
    ]
    assert backends == []
    assert "autonlp_al.integrations" not in " ".join(loaded)
    # the loop's own small modules aside, as little as before the loop was split by job (plus
    # autonlp_al._values, the stdlib-only helper the event log bounds input values with, and
    # autonlp_al.stopping, whose budget units count what each round's labels cost)
    assert len([m for m in loaded if not m.startswith("autonlp_al.loop")]) < 31


@pytest.mark.parametrize("name", errors.__all__)
def test_every_error_is_an_autonlp_al_error(name: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, errors.AutoNLPALError)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.SourceError, ValueError),
        (errors.ConversionError, ValueError),
        (errors.InputFileNotFoundError, FileNotFoundError),
        (errors.DatasetNotFoundError, LookupError),
        (errors.RegistryError, LookupError),
        (errors.MissingDependencyError, ImportError),
    ],
)
def test_errors_are_also_the_builtin_callers_catch(cls: type, builtin: type) -> None:
    assert issubclass(cls, builtin)


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "autonlp_al", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert autonlp_al.__version__ in out.stdout
