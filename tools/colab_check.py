"""Run every Colab-edition notebook in Colab's own package set: ``make colab-check``.

    python -m tools.colab_check                      # all of colab/*.ipynb
    python -m tools.colab_check --wheel dist/lenet_utils-0.3.0-py3-none-any.whl
    python -m tools.colab_check colab/05_sequential.ipynb
    python -m tools.colab_check --backend jax        # make backends-check: .venv-backends
    python -m tools.colab_check --update-runtime pip-freeze.gpu.txt   # follow Colab

uv makes ``.colab-venv/`` with Colab's Python (or ``COLAB_PYTHON=/path/to/python3.13``) and
exactly the packages of ``colab/runtime.txt``; the set-up cell's own code installs the wheel
(``--wheel``, else built from a clean ``git archive`` of HEAD) in place of PyPI's, and ``pip
freeze`` may change in ``lenet-utils`` only. Each notebook runs in a fresh kernel there, in an
empty folder, training capped (``--max-epochs``), and fails on an error, on a warning from
Keras, TensorFlow or ``lenet_utils`` (unless :data:`KNOWN`) and on a deprecation TensorFlow
logs. ``--backend`` runs them in ``.venv-backends`` (no TensorFlow) with that
``KERAS_BACKEND`` instead, failing on errors only. Reports go to ``artifacts/``. Exit status:
1 when a notebook failed or the freeze changed, 2 when the environment could not be made.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools import editions, release
from tools.chapter_format import TENSORFLOW_LOG
from tools.common import ROOT, command_line, relative
from tools.common import chapters as toc_chapters

RUNTIME = ROOT / "colab" / "runtime.txt"
VENV = ROOT / ".colab-venv"
BACKENDS_VENV = ROOT / ".venv-backends"
ARTIFACTS = ROOT / "artifacts"
KERNEL_NAME = "colab-check"
WARNINGS_VAR = "COLAB_CHECK_WARNINGS"  # named in _watch_warnings too
WATCHED = ("keras", "tensorflow", "lenet_utils", "tf_keras")  # their warnings fail the check


def _watch_warnings() -> None:
    """Let every warning through and record each once per place and caller, with the module
    that warned and its callers, in ``$COLAB_CHECK_WARNINGS`` (:data:`WARNINGS_HOOK` runs it in
    the kernel before a notebook)."""
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
    caps itself (:data:`CAP_FIT` runs it in a kernel before a notebook)."""
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
    """A warning of Keras or TensorFlow themselves that no course code can avoid: reported,
    not failing, where the category, the message (a regular expression), the module that
    warned and one of its callers all match."""

    category: str
    message: str
    origin: str
    via: tuple[str, ...]
    why: str

    def matches(self, w: dict) -> bool:
        return (w.get("category"), w.get("origin")) == (self.category, self.origin) and bool(
            re.search(self.message, w.get("message", ""))
            and set(w.get("callers", [])) & set(self.via)
        )


KNOWN = (  # upstream warnings met in Colab's package set, and why they are allowed
    Known(
        "DeprecationWarning",
        r"^__array__ implementation doesn't accept a copy keyword",
        origin="keras.src.backend.tensorflow.core",
        via=("keras.src.utils.python_utils", "keras.src.saving.saving_lib"),
        why="Keras' np.array(tensor) in fit, evaluate and saving; TensorFlow's __array__ takes "
        "no copy= (NumPy 2): TensorFlow 2.20-2.21, Keras 3.13-3.15 (ARCHITECTURE.md)",
    ),
)


class CheckError(Exception):
    """The environment could not be made; the message says why and what to do."""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_runtime(path: Path = RUNTIME) -> tuple[str, dict[str, str]]:
    """(Python version, {normalized name: pinned requirement line}) of ``colab/runtime.txt``."""
    text = path.read_text()
    python = re.search(r"^#\s*python:\s*(\d+\.\d+)", text, re.M)
    lines = list(filter(None, (line.split("#", 1)[0].strip() for line in text.splitlines())))
    if not python or not all(re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line) for line in lines):
        raise CheckError(f"{path}: pin each package (NAME==VERSION), name '# python: 3.NN'")
    return python[1], {_normal(line.split("==")[0]): line for line in lines}


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


def install_helper(venv: Path, wheel: Path) -> list[str]:
    """Install ``wheel`` with the set-up cell's own code; return the freeze diff."""
    if not wheel.name.startswith(f"lenet_utils-{editions.version()}-"):
        raise CheckError(f"{wheel.name} is not lenet_utils {editions.version()}, the pinned one")
    before = freeze(venv)
    with tempfile.TemporaryDirectory(prefix="colab-check-") as empty:  # lenet_utils: not from cwd
        cell = editions.install_cell(ROOT, target=str(wheel.resolve()))
        result = subprocess.run(
            [str(venv / "bin" / "python"), "-c", cell], cwd=empty, capture_output=True, text=True
        )
    if result.returncode != 0:
        raise CheckError(f"the set-up cell failed:\n{result.stdout}{result.stderr}")
    print(f"colab-check: the set-up cell printed: {result.stdout.strip()}")
    before, after = set(before.values()), set(freeze(venv).values())
    return [f"-{line}" for line in sorted(before - after)] + [
        f"+{line}" for line in sorted(after - before)
    ]


def freeze_problems(diff: list[str]) -> list[str]:
    """What in a freeze diff is not the helper's own installation."""
    ok = [line for line in diff if re.match(r"\+lenet[-_]utils( @|==)", line)]
    problems = [line for line in diff if line not in ok]
    return problems if ok else [*problems, "lenet-utils was not installed"]


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
    """Whether a warning comes from Keras, TensorFlow or lenet_utils: the code that warned,
    the file the warning names, or the first caller outside the warning package is theirs."""
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
        kernels, log = tmp / "kernels" / KERNEL_NAME, tmp / "warnings.jsonl"
        kernels.mkdir(parents=True)
        env = {WARNINGS_VAR: str(log), "PYTHONNOUSERSITE": "1"}
        env |= {"LENET_MAX_EPOCHS": str(max_epochs)} if max_epochs else {}
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
        except Exception as error:  # a cell's error, a dead kernel, a timeout
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
    lines += [
        f"  {w['category']} from {w['origin']} ({w['filename']}:{w['lineno']}): {w['message']}"
        for w in run.warnings
    ]
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
    parser.add_argument("--wheel", type=Path, help="lenet_utils' wheel (default: built from HEAD)")
    parser.add_argument("--backend", choices=["jax", "torch"], help="in .venv-backends instead")
    parser.add_argument("--max-epochs", type=int, default=1, help="LENET_MAX_EPOCHS (0: no cap)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--rebuild", action="store_true", help="make .colab-venv afresh")
    freeze = "rewrite colab/runtime.txt from Colab's pip-freeze.gpu.txt, and stop"
    parser.add_argument("--update-runtime", type=Path, metavar="FREEZE", help=freeze)
    args = parser.parse_args(argv)
    if args.update_runtime:
        print("\n".join(update_runtime(args.update_runtime)) or "no version changed")
        return 0
    notebooks = args.notebooks or [
        editions.edition_path(md, solutions=True) for md in toc_chapters()
    ]
    if missing := [str(p) for p in notebooks if not Path(p).exists()]:
        print(f"error: no such notebook: {', '.join(missing)} (python -m tools.editions)")
        return 2
    venv, diff, name = BACKENDS_VENV, [], f"backends-check-{args.backend}"
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend  # the kernels inherit it
    else:
        try:
            venv, name = make_venv(rebuild=args.rebuild), "colab-check"
            with tempfile.TemporaryDirectory(prefix="colab-check-") as tmp:
                diff = install_helper(venv, args.wheel or release.build_wheel(Path(tmp)))
        except CheckError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print("colab-check: pip freeze, before and after the set-up cell:")
        print("\n".join(f"  {line}" for line in diff) or "  (no change)")
    if problems := freeze_problems(diff) if not args.backend else []:
        print(f"colab-check: the set-up cell changed more than lenet-utils: {problems}")
    version = "import platform; print(platform.python_version())"
    python = subprocess.check_output([venv / "bin" / "python", "-c", version], text=True).strip()
    runs = []
    for notebook in notebooks:
        runs.append(run_notebook(Path(notebook).resolve(), venv, args.max_epochs, args.timeout))
        if args.backend:  # there only errors fail; warnings are reported
            runs[-1].other_warnings += runs[-1].warnings + runs[-1].known
            runs[-1].warnings, runs[-1].known = [], []
        print(_describe(runs[-1]), flush=True)
    summary = {"python": python, "backend": args.backend or "tensorflow"}
    summary |= {"max_epochs": args.max_epochs, "freeze_diff": diff, "freeze_problems": problems}
    summary["notebooks"] = [asdict(run) | {"ok": run.ok} for run in runs]
    report = ARTIFACTS / f"{name}.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=2) + "\n")
    failed = [run.notebook for run in runs if not run.ok]
    print(
        f"{name}: {len(runs) - len(failed)} of {len(runs)} notebooks passed in "
        f"{sum(run.seconds for run in runs):.0f} s (Python {python}, {summary['backend']}, "
        f"LENET_MAX_EPOCHS={args.max_epochs or 'unset'}); report: {relative(report)}"
    )
    return 1 if (failed or problems) else 0


if __name__ == "__main__":
    sys.exit(main())
