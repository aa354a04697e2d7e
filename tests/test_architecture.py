"""The import rules of docs/architecture.md, enforced: import-linter's contracts in pyproject.toml
(layers, the integrations' own layers, the loop naming no backend), lazy imports inside
functions included; and the registries never naming a loop module."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parent.parent


def lint(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the project's contracts over the package found in
    ``package_parent``."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[2], no_cache=True, no_logo=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(package_parent), str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=package_parent,
    )


def test_every_import_contract_is_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the bottom layer importing the loop (the old registry -> loop.stopping arrow)
        (
            "registry.py",
            "from .loop import learner as _learner\n",
            "Layers of docs/architecture.md",
        ),
        # the Label Studio backend importing the server (the old serve <-> labelstudio cycle)
        ("integrations/labelstudio.py", "from . import serve as _serve\n", "Integrations"),
        # the loop naming a backend (the old loop/config -> sources/dedupe arrow)
        ("loop/state.py", "from ..sources import prodigy as _prodigy\n", "names no backend"),
    ],
)
def test_a_broken_rule_fails_the_check(tmp_path, module: str, line: str, broken: str) -> None:
    copy = tmp_path / "autonlp_al"
    shutil.copytree(ROOT / "autonlp_al", copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    source = path.read_text(encoding="utf-8")
    head, sep, rest = source.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + rest, encoding="utf-8")
    result = lint(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and broken in result.stdout.replace("\n", " ")


def test_the_registries_name_no_loop_module() -> None:
    from autonlp_al import registry

    named = [
        f"{registry._PACKAGES[kind]}.{module}"
        for kind, modules in registry._BUILTIN_MODULES.items()
        for module in modules
    ]
    assert named and not [m for m in named if m.startswith("autonlp_al.loop")]
