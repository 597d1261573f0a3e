"""A release of lenet_utils carries tested code only: a hash per released version, and the wheel.

    python -m tools.release check             # exit 1 unless lenet_utils is what it recorded
    python -m tools.release record            # record this version's hash (once per version)
    python -m tools.release wheel --out dist  # the wheel of HEAD, from a clean git archive

``releases.txt`` keeps one line per released version: the hash of what its wheel holds.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from tools.common import ROOT, command_line, pyproject, relative, version

RELEASES = "releases.txt"
BUMP = (
    "bump the version in pyproject.toml, add its entry to CHANGELOG.md (Keep a Changelog: "
    "'## [X.Y.Z] - YYYY-MM-DD'), run make editions, then python -m tools.release record"
)


def package_files(root: Path = ROOT) -> list[str]:
    """The files that a wheel of the package holds, relative to ``root``, sorted."""
    settings = pyproject(root)["tool"]["setuptools"]
    found = set()
    for package in settings["packages"]:
        folder = root / package.replace(".", "/")
        for pattern in ["*.py", *settings.get("package-data", {}).get(package, [])]:
            found.update(relative(path, root) for path in folder.glob(pattern) if path.is_file())
    return sorted(found)


def package_hash(root: Path = ROOT) -> str:
    """SHA-256 of :func:`package_files`, names and contents."""
    parts = (name.encode() + b"\0" + (root / name).read_bytes() for name in package_files(root))
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def recorded(root: Path = ROOT) -> dict[str, str]:
    """{version: hash} of every version recorded in ``releases.txt``."""
    path = root / RELEASES
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split()[:2] for line in lines if line.strip() and line[0] != "#")


def problem(root: Path = ROOT) -> str | None:
    """Why ``lenet_utils`` cannot be released as it is, or None."""
    current = version(root)
    found = recorded(root).get(current)
    if found is None:
        return (
            f"lenet_utils {current} has no hash in {RELEASES}: a new version needs its "
            f"CHANGELOG.md entry, then python -m tools.release record"
        )
    if found != package_hash(root):
        return (
            f"lenet_utils differs from what version {current} recorded in {RELEASES}, and a "
            f"released version never changes: {BUMP}"
        )
    return None


def record(root: Path = ROOT) -> str:
    """Record the hash of this version in ``releases.txt``; refuse a recorded one's change."""
    current, digest = version(root), package_hash(root)
    if recorded(root).get(current, digest) != digest:
        raise SystemExit(f"{current} is recorded with another hash: {BUMP}")
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text() if changelog.exists() else ""
    if not re.search(rf"^## \[{re.escape(current)}\]", text, re.M):
        raise SystemExit(f"CHANGELOG.md has no '## [{current}] - YYYY-MM-DD' entry: write it")
    path = root / RELEASES
    text = path.read_text() if path.exists() else "# version, SHA-256 (tools/release.py)\n"
    if current not in recorded(root):
        path.write_text(f"{text}{current} {digest}\n")
    return f"{RELEASES}: {current} {digest}"


def build_wheel(out: Path, commit: str = "HEAD", root: Path = ROOT) -> Path:
    """Build the wheel of ``commit`` from a clean ``git archive`` of it (never the working
    tree) into ``out`` with uv; raise SystemExit unless it holds :func:`package_files`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lenet-wheel-") as tmp:
        archive = subprocess.run(["git", "archive", commit], cwd=root, capture_output=True)
        if archive.returncode != 0:
            raise SystemExit(f"git archive {commit}: {archive.stderr.decode()}")
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        uv = [sys.executable, "-m", "uv", "build", "--wheel", "--out-dir", str(out), tmp]
        subprocess.run(uv, check=True, capture_output=True)
        wheel = out / f"lenet_utils-{version(Path(tmp))}-py3-none-any.whl"
        expected = package_files(Path(tmp))
    with zipfile.ZipFile(wheel) as archive:
        held = sorted(name for name in archive.namelist() if ".dist-info/" not in name)
    if held != expected:
        raise SystemExit(f"{wheel.name} holds {held}, the release hash covers {expected}")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = command_line(__doc__, "python -m tools.release")
    parser.add_argument("command", choices=["check", "record", "wheel"])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="for wheel")
    args = parser.parse_args(argv)
    if args.command != "check":
        print(build_wheel(args.out) if args.command == "wheel" else record())
    elif problem():
        print(f"error: {problem()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
