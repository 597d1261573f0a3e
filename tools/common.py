"""What every tool needs: the repository, its chapters, the machine, generated files."""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# Packages whose versions a run records (those not installed are left out)
PACKAGES = tuple(
    "tensorflow keras jax torch numpy matplotlib jupyter-book myst-nb jupytext nbval".split()
)


def book_config(root: Path = ROOT) -> dict:
    """``_config.yml`` as a dict."""
    return yaml.safe_load((root / "_config.yml").read_text())


def pyproject(root: Path = ROOT) -> dict:
    """``pyproject.toml`` as a dict."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    with (root / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def version(root: Path = ROOT) -> str:
    """``lenet_utils``' version: ``[project] version`` of ``pyproject.toml``, the one place."""
    found = str(pyproject(root).get("project", {}).get("version", ""))
    if not re.fullmatch(r"\d+(\.\d+)*([a-z]+\d+)?", found):
        raise ValueError(f"pyproject.toml: [project] version {found!r} is not like 0.3.0")
    return found


def toc_files(root: Path = ROOT) -> list[str]:
    """Every page of ``_toc.yml`` in reading order (paths without suffix), the root first."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return [toc["root"], *(e["file"] for p in toc.get("parts", []) for e in p.get("chapters", []))]


def chapters(root: Path = ROOT) -> list[Path]:
    """The chapters' MyST sources (``chapters/NN_name.md``) in the order of ``_toc.yml``."""
    return [root / f"{page}.md" for page in toc_files(root) if page.startswith("chapters/")]


def repository(root: Path = ROOT) -> tuple[str, str]:
    """(``owner/name``, branch) of the GitHub repository named in ``_config.yml``."""
    config = book_config(root)["repository"]
    url = config["url"].rstrip("/")
    prefix = "https://github.com/"
    if not url.startswith(prefix) or url[len(prefix) :].count("/") != 1:
        raise SystemExit(
            f"_config.yml: repository.url must be https://github.com/OWNER/NAME, got {url!r}."
        )
    return url[len(prefix) :], config.get("branch", "main")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@cache
def _gpu() -> str:
    """The first GPU's name as ``nvidia-smi`` reports it, or ``"none"``."""
    query = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]
    try:
        out = subprocess.run(query, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    names = out.stdout.strip().splitlines() if out.returncode == 0 else []
    return names[0].strip() if names else "none"


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Python's version and those of the installed ``packages``."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def machine() -> dict:
    """The computer and software of this run: CPU, cores usable, GPU, backend, platform."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu(),
        "cores": cores,
        "gpu": _gpu(),
        "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "platform": platform.platform(),
        "versions": versions(),
    }


def write_or_check(path: Path, text: str, check: bool) -> bool:
    """Write ``text`` to ``path`` unless it is already there; return True if it was not.

    With ``check=True`` nothing is written: the return value says whether ``path`` is stale.
    """
    if path.exists() and path.read_text() == text:
        return False
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return True


def relative(path: Path, root: Path = ROOT) -> str:
    """``path`` relative to ``root`` (as written in reports), or as it is when outside."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def command_line(doc: str, prog: str) -> argparse.ArgumentParser:
    """A parser whose help is a module's docstring: its first paragraph, then the rest."""
    first, _, rest = doc.partition("\n\n")
    raw = argparse.RawDescriptionHelpFormatter
    return argparse.ArgumentParser(prog=prog, description=first, epilog=rest, formatter_class=raw)
