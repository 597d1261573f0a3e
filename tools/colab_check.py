"""Run every Colab-edition notebook in Colab's own package set: ``make colab-check``.

    python -m tools.colab_check                      # all of colab/*.ipynb
    python -m tools.colab_check colab/05_sequential.ipynb
    python -m tools.colab_check --update-runtime pip-freeze.gpu.txt   # follow Colab

1. uv makes ``.colab-venv/`` with Colab's Python and exactly the packages of
   ``colab/runtime.txt`` (``uv venv``, ``uv pip sync``); a Python other than the one uv finds
   can be named with ``COLAB_PYTHON=/path/to/python3.13``.
2. The helper is installed by the set-up cell's own code (this checkout in place of the release
   tag); ``pip freeze`` before and after may differ in ``lenet-utils`` only.
3. Each notebook runs top to bottom in a fresh kernel there, in an empty folder, with training
   capped (``--max-epochs``, default 1). It fails on an error, on a Python warning raised from
   Keras, TensorFlow or ``lenet_utils`` (unless :data:`KNOWN`), and on a deprecation that
   TensorFlow logs.

The report is printed and written to ``artifacts/colab-check.json``. The first run downloads
TensorFlow for Python 3.13 (about 600 MB). Exit status: 0 when everything passed, 1 when a
notebook failed or the freeze changed, 2 when the environment could not be made.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools import editions
from tools.chapter_format import TENSORFLOW_LOG
from tools.common import ROOT, command_line, relative
from tools.common import chapters as toc_chapters

RUNTIME = ROOT / "colab" / "runtime.txt"
VENV = ROOT / ".colab-venv"
REPORT = ROOT / "artifacts" / "colab-check.json"
KERNEL_NAME = "colab-check"
WARNINGS_VAR = "COLAB_CHECK_WARNINGS"  # named in _watch_warnings too
WATCHED = ("keras", "tensorflow", "lenet_utils", "tf_keras")
"""Packages whose warnings fail the check (top-level module names)."""


def _watch_warnings() -> None:
    """Let every warning through (also the DeprecationWarnings Python hides) and record each
    once per place and caller in ``$COLAB_CHECK_WARNINGS``, with the module of the code that
    called ``warnings.warn`` and its callers: no tool tells the package a warning comes from
    from the one that caused it. Run (as :data:`WARNINGS_HOOK`) in the kernel before a
    notebook, never shown to a learner."""
    import json
    import os
    import sys
    import warnings

    path, show, seen = os.environ["COLAB_CHECK_WARNINGS"], warnings.showwarning, set()

    def showwarning(message, category, filename, lineno, file=None, line=None):
        frame, chain = sys._getframe(1), []
        while frame is not None and len(chain) < 40:
            module = frame.f_globals.get("__name__", "") or ""
            if module not in ("warnings", "_py_warnings"):
                chain.append(module)
            frame = frame.f_back
        key = (category.__name__, str(message), str(filename), lineno, tuple(chain[:8]))
        if key not in seen:
            seen.add(key)
            origin, callers = (chain[0] if chain else ""), chain[1:12]
            record = {"category": category.__name__, "message": str(message)[:500]}
            record |= {"filename": str(filename), "lineno": lineno, "origin": origin}
            with open(path, "a") as out:
                out.write(json.dumps(record | {"callers": callers}) + "\n")
            show(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning
    warnings.simplefilter("always")


WARNINGS_HOOK = f"{inspect.getsource(_watch_warnings)}\n_watch_warnings()\ndel _watch_warnings"


def cap_fit() -> None:
    """Cap every ``keras.Model.fit`` at ``LENET_MAX_EPOCHS`` epochs, as ``lenet_utils.train``
    caps itself: run (as :data:`CAP_FIT`) in a kernel before a notebook checked quickly, so
    that a chapter's own ``model.fit(..., epochs=20)`` is capped too."""
    import os

    import keras

    fit = keras.Model.fit  # the closure keeps it: a later %reset cannot take it away

    def capped_fit(self, *args, **kwargs):
        if "epochs" in kwargs:
            kwargs["epochs"] = min(kwargs["epochs"], int(os.environ["LENET_MAX_EPOCHS"]))
        return fit(self, *args, **kwargs)

    keras.Model.fit = capped_fit


CAP_FIT = f"{inspect.getsource(cap_fit)}\ncap_fit()\ndel cap_fit"


@dataclass(frozen=True)
class Known:
    """A warning of Keras or TensorFlow themselves that no course code can avoid.

    It is reported, and does not fail the check, only where all of it matches: the category,
    the message (a regular expression), the module that warned and one of its callers.
    """

    category: str
    message: str
    origin: str
    via: tuple[str, ...]
    why: str

    def matches(self, warning: dict) -> bool:
        return (
            warning.get("category") == self.category
            and re.search(self.message, warning.get("message", "")) is not None
            and warning.get("origin", "") == self.origin
            and any(caller in self.via for caller in warning.get("callers", []))
        )


KNOWN = (
    Known(
        category="DeprecationWarning",
        message=r"^__array__ implementation doesn't accept a copy keyword",
        origin="keras.src.backend.tensorflow.core",
        via=("keras.src.utils.python_utils", "keras.src.saving.saving_lib"),
        why=(
            "Keras turns TensorFlow tensors into NumPy arrays with np.array(tensor), in every "
            "fit() and evaluate() (pythonify_logs) and every save of weights (saving_lib, also "
            "by chapter 5's BackupAndRestore), and TensorFlow's __array__ takes no copy=, which "
            "NumPy 2 asks for. Seen with Colab's TensorFlow 2.20.0, Keras 3.13.2 and NumPy "
            "2.1.3 (TensorFlow 2.21 and Keras 3.15 still have that code). Python shows a "
            "learner nothing: it hides a DeprecationWarning not raised in __main__"
        ),
    ),
)
"""Upstream warnings met in Colab's package set, why they are allowed, and where."""


class CheckError(Exception):
    """The environment could not be made; the message says why and what to do."""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_runtime(path: Path = RUNTIME) -> tuple[str, dict[str, str]]:
    """(Python version, {normalized name: pinned requirement line}) of ``colab/runtime.txt``."""
    python, pins = "", {}
    for line in path.read_text().splitlines():
        match = re.match(r"#\s*python:\s*(\d+\.\d+)", line)
        if match:
            python = match.group(1)
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name = re.match(r"([A-Za-z0-9_.-]+)==", line)
        if not name:
            raise CheckError(f"{path}: {line!r} is not NAME==VERSION; pin every package")
        pins[_normal(name.group(1))] = line
    if not python:
        raise CheckError(f"{path}: no '# python: 3.NN' line says which Python Colab runs")
    return python, pins


def update_runtime(freeze: Path, path: Path = RUNTIME) -> list[str]:
    """Rewrite ``path``'s versions to those of Colab's ``pip-freeze`` file; return the changes."""
    pin = r"([A-Za-z0-9_.-]+)==(\S+)"
    lines = freeze.read_text().splitlines()
    colab = {_normal(m[1]): m[2] for line in lines if (m := re.match(pin, line.strip()))}
    changes, out = [], []
    for line in path.read_text().splitlines():
        m = re.fullmatch(pin, line.strip())
        if m and _normal(m[1]) not in colab:
            changes.append(f"{m[1]}: not in Colab's list any more (kept at {m[2]})")
        elif m and colab[_normal(m[1])] != m[2]:
            changes.append(f"{m[1]}: {m[2]} -> {colab[_normal(m[1])]}")
            line = f"{m[1]}=={colab[_normal(m[1])]}"
        out.append(line)
    path.write_text("\n".join(out) + "\n")
    return changes


def _uv(*args: str) -> str:
    """Run uv (installed with the test extra); its output, or CheckError with its message."""
    result = subprocess.run([sys.executable, "-m", "uv", *args], capture_output=True, text=True)
    if result.returncode != 0:
        missing = "No module named uv" in result.stderr
        hint = " (uv comes with the test extra: make setup)" if missing else ""
        raise CheckError(f"uv {' '.join(args)} failed{hint}:\n{result.stderr[-3000:]}")
    return result.stdout


def freeze(venv: Path) -> dict[str, str]:
    """{normalized name: line} of ``uv pip freeze`` in ``venv``."""
    out = _uv("pip", "freeze", "--python", str(venv / "bin" / "python"))
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    return {_normal(re.split(r"[=@ ]", line, maxsplit=1)[0]): line for line in lines}


def make_venv(venv: Path = VENV, runtime: Path = RUNTIME, rebuild: bool = False) -> Path:
    """``venv`` with Colab's Python and exactly the packages of ``runtime``, no helper."""
    version, pins = read_runtime(runtime)
    python = os.environ.get("COLAB_PYTHON") or version
    try:
        _uv("venv", "--clear" if rebuild else "--allow-existing", "--python", python, str(venv))
    except CheckError as error:
        raise CheckError(
            f"{error}\nmake colab-check needs Python {version}, the version Colab runs: install "
            f"it (`uv python install {version}`, `pyenv install {version}`) or name one with "
            f"COLAB_PYTHON=/path/to/python{version}"
        ) from None
    _uv("pip", "sync", "--python", str(venv / "bin" / "python"), str(runtime))
    print(f"colab-check: {venv.name}: Python {version}, the {len(pins)} packages of {runtime.name}")
    return venv


def _checkout_copy(destination: Path) -> Path:
    """The files of this checkout that git would commit (tracked or not ignored): pip would
    build inside the checkout itself and leave ``build/`` there."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            target = destination / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def install_helper(venv: Path) -> list[str]:
    """Install ``lenet_utils`` with the set-up cell's own code; return the freeze diff."""
    before = freeze(venv)
    with tempfile.TemporaryDirectory(prefix="colab-check-") as tmp:
        checkout = _checkout_copy(Path(tmp) / "lenet-book")
        empty = Path(tmp) / "content"  # not the checkout: lenet_utils must not import from cwd
        empty.mkdir()
        cell = editions.install_cell(ROOT, target=str(checkout))
        result = subprocess.run(
            [str(venv / "bin" / "python"), "-c", cell], cwd=empty, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise CheckError(f"the set-up cell failed:\n{result.stdout}{result.stderr}")
    before, after = set(before.values()), set(freeze(venv).values())
    return [f"-{line}" for line in sorted(before - after)] + [
        f"+{line}" for line in sorted(after - before)
    ]


def freeze_problems(diff: list[str]) -> list[str]:
    """What in a freeze diff is not the helper's own installation."""
    ok = [line for line in diff if re.match(r"\+lenet[-_]utils( @|==)", line)]
    problems = [line for line in diff if line not in ok]
    if not ok:
        problems.append("lenet-utils was not installed")
    return problems


@dataclass
class Run:
    """What one notebook did in Colab's package set."""

    notebook: str
    seconds: float = 0.0
    error: str = ""
    warnings: list[dict] = field(default_factory=list)  # from the watched packages: fail
    known: list[dict] = field(default_factory=list)  # theirs, unavoidable (KNOWN): reported
    other_warnings: list[dict] = field(default_factory=list)  # from elsewhere: reported
    logged: list[str] = field(default_factory=list)  # TensorFlow's logged deprecations: fail

    @property
    def ok(self) -> bool:
        return not (self.error or self.warnings or self.logged)


def _watched(warning: dict) -> bool:
    """Whether a warning comes from Keras, TensorFlow or lenet_utils.

    It does when the code that called ``warnings.warn`` is theirs, when the warning names a
    file of theirs (its ``stacklevel``), or when the first caller outside the package that
    warned is theirs (Keras calling a deprecated NumPy function, say).
    """
    modules = [warning.get("origin", ""), *warning.get("callers", [])]
    tops = [name.split(".")[0] for name in modules]
    if tops and tops[0] in WATCHED:
        return True
    caller = next((top for top in tops[1:] if top != tops[0]), "")
    filename = warning.get("filename", "")
    return caller in WATCHED or any(f"/{name}/" in filename for name in WATCHED)


def run_notebook(notebook: Path, venv: Path, max_epochs: int | None, timeout: int) -> Run:
    """Execute ``notebook`` top to bottom in a kernel of ``venv``; time it, collect warnings."""
    import nbclient
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    run = Run(relative(notebook))
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(WARNINGS_HOOK))
    if max_epochs:
        nb.cells.insert(1, nbformat.v4.new_code_cell(CAP_FIT))
    with tempfile.TemporaryDirectory(prefix="colab-check-") as tmp:
        tmp = Path(tmp)
        kernels = tmp / "kernels" / KERNEL_NAME
        kernels.mkdir(parents=True)
        log = tmp / "warnings.jsonl"
        env = {WARNINGS_VAR: str(log), "PYTHONNOUSERSITE": "1"}
        if max_epochs:
            env["LENET_MAX_EPOCHS"] = str(max_epochs)
        stderr = tmp / "kernel-stderr.log"  # TensorFlow's C++ notes: Colab's log, not a cell
        launch = f'exec "{venv / "bin" / "python"}" -m ipykernel_launcher -f "$0" 2>>"{stderr}"'
        spec = {
            "argv": ["/bin/sh", "-c", launch, "{connection_file}"],
            "display_name": "Colab's Python",
            "language": "python",
            "env": env,
        }  # fmt: skip
        (kernels / "kernel.json").write_text(json.dumps(spec))
        content = tmp / "content"  # the working folder, as Colab's /content
        content.mkdir()
        manager = KernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp / "kernels")]),
        )
        client = nbclient.NotebookClient(
            nb, km=manager, timeout=timeout, resources={"metadata": {"path": str(content)}}
        )
        start = time.perf_counter()
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as error:
            run.error = str(error)[-3000:]
        except Exception as error:  # a dead kernel, a timeout
            run.error = f"{type(error).__name__}: {error}"[-3000:]
        run.seconds = round(time.perf_counter() - start, 1)
        if run.error and stderr.exists():
            run.error += "\nkernel stderr (end):\n" + stderr.read_text()[-1500:]
        found = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    unique = list({json.dumps(w, sort_keys=True): w for w in found}.values())
    run.known = [w for w in unique if _watched(w) and any(k.matches(w) for k in KNOWN)]
    run.warnings = [w for w in unique if _watched(w) and w not in run.known]
    run.other_warnings = [w for w in unique if not _watched(w)]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                for match in TENSORFLOW_LOG.finditer(output.get("text", "")):
                    if re.search(r"deprecat", match.group(1), re.I):
                        run.logged.append(match.group(0).rstrip()[:300])
    return run


def _describe(run: Run) -> str:
    lines = [f"{run.notebook}: {'ok' if run.ok else 'FAILED'} in {run.seconds:.0f} s"]
    if run.error:
        lines.append(f"  error: {run.error.strip().splitlines()[-1]}")
    for w in run.warnings:
        where = f"{w['filename']}:{w['lineno']}"
        lines.append(f"  {w['category']} from {w['origin']} ({where}): {w['message']}")
    lines += [f"  logged: {line}" for line in run.logged]
    for kind, found in (("known upstream", run.known), ("not ours", run.other_warnings)):
        lines += dict.fromkeys(
            f"  ({kind}, not failing) {w['category']} from {w['origin']}: {w['message'][:160]}"
            for w in found
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    # The checkout must not be importable in Colab's Python: only the installed helper is.
    os.environ.pop("PYTHONPATH", None)
    parser = command_line(__doc__, "python -m tools.colab_check")
    parser.add_argument("notebooks", nargs="*", type=Path, help="colab/*.ipynb by default")
    parser.add_argument("--max-epochs", type=int, default=1, help="LENET_MAX_EPOCHS (0: no cap)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--rebuild", action="store_true", help="make .colab-venv afresh")
    parser.add_argument(
        "--update-runtime",
        type=Path,
        metavar="FREEZE",
        help="rewrite colab/runtime.txt's versions from Colab's pip-freeze.gpu.txt, and stop",
    )
    args = parser.parse_args(argv)
    if args.update_runtime:
        for change in update_runtime(args.update_runtime) or ["no version changed"]:
            print(change)
        return 0
    notebooks = args.notebooks or [
        editions.edition_path(md, solutions=True) for md in toc_chapters()
    ]
    missing = [str(p) for p in notebooks if not Path(p).exists()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)} (python -m tools.editions)")
        return 2
    try:
        venv = make_venv(rebuild=args.rebuild)
        diff = install_helper(venv)
    except CheckError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = freeze_problems(diff)
    print("colab-check: pip freeze, before and after the set-up cell:")
    print("\n".join(f"  {line}" for line in diff) or "  (no change)")
    if problems:
        print(f"colab-check: the set-up cell changed more than lenet-utils: {problems}")
    version = "import platform; print(platform.python_version())"
    python = subprocess.check_output([venv / "bin" / "python", "-c", version], text=True).strip()
    runs = []
    for notebook in notebooks:
        run = run_notebook(Path(notebook).resolve(), venv, args.max_epochs, args.timeout)
        print(_describe(run), flush=True)
        runs.append(run)
    report = {"python": python, "runtime": relative(RUNTIME), "max_epochs": args.max_epochs}
    report |= {"freeze_diff": diff, "freeze_problems": problems}
    report["notebooks"] = [asdict(run) | {"ok": run.ok} for run in runs]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    total = sum(run.seconds for run in runs)
    failed = [run.notebook for run in runs if not run.ok]
    print(
        f"colab-check: {len(runs) - len(failed)} of {len(runs)} notebooks passed in {total:.0f} s "
        f"(Python {python}, LENET_MAX_EPOCHS={args.max_epochs or 'unset'}); "
        f"report: {relative(REPORT)}"
    )
    return 1 if (failed or problems) else 0


if __name__ == "__main__":
    sys.exit(main())
