"""Keep every chapter's Colab badge and Colab set-up cell in step with ``_config.yml``.

The repository URL and branch are written once, in ``_config.yml``; this tool derives from them
the "Open in Colab" link of each notebook and the ``pip install`` line of its set-up cell, and
sets the notebook metadata that makes Colab open it on a GPU runtime.

    python tools/colab.py            # rewrite chapters/*.md and their paired .ipynb in place
    python tools/colab.py --check    # exit 1, naming the files, if any is out of step

Only the badge line, the install URL and the metadata change; outputs are kept.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
INSTALL_RE = re.compile(r'"git\+https://github\.com/[^"@]+@[^"]+"')
GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}


def repository(root: Path = ROOT) -> tuple[str, str]:
    """(owner/name, branch) of the repository named in ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", url)
    if not match:
        raise SystemExit(
            f"_config.yml: repository.url must be https://github.com/OWNER/NAME, got {url!r}."
        )
    return match.group(1), config["repository"].get("branch", "main")


def colab_url(notebook: Path, root: Path = ROOT) -> str:
    """The Colab link that opens ``notebook`` (a path in the repository) on the branch."""
    repo, branch = repository(root)
    rel = notebook.resolve().relative_to(root).as_posix()
    return f"https://colab.research.google.com/github/{repo}/blob/{branch}/{rel}"


def badge(notebook: Path, root: Path = ROOT) -> str:
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, root)})"


def install_target(root: Path = ROOT) -> str:
    repo, branch = repository(root)
    return f'"git+https://github.com/{repo}@{branch}"'


def sync_text(text: str, notebook: Path, root: Path = ROOT) -> str:
    """``text`` (a chapter's MyST markdown) with its badge and install URL made current."""
    if not BADGE_RE.search(text):
        raise SystemExit(
            f"{notebook.with_suffix('.md')}: no Colab badge line to update; "
            "put one under the title."
        )
    text = BADGE_RE.sub(lambda _: badge(notebook, root), text, count=1)
    return INSTALL_RE.sub(lambda _: install_target(root), text)


def sync(md: Path, check: bool, root: Path = ROOT) -> bool:
    """Bring one chapter in step; return True when something was (or would be) changed."""
    ipynb = md.with_suffix(".ipynb")
    old_md = md.read_text()
    new_md = sync_text(old_md, ipynb, root)
    changed = new_md != old_md
    nb = nbformat.read(ipynb, as_version=4) if ipynb.exists() else None
    if nb is not None:
        for cell in nb.cells:
            src = cell.source
            new_src = sync_text(src, ipynb, root) if BADGE_RE.search(src) else src
            new_src = INSTALL_RE.sub(lambda _: install_target(root), new_src)
            if new_src != src:
                changed = True
                cell.source = new_src
        for key, value in GPU_METADATA.items():
            if nb.metadata.get(key) != value:
                changed = True
                nb.metadata[key] = value
    if changed and not check:
        md.write_text(new_md)
        if nb is not None:
            nbformat.write(nb, ipynb)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, change nothing")
    parser.add_argument("files", nargs="*", type=Path, help="chapters/*.md by default")
    args = parser.parse_args(argv)
    files = args.files or sorted((ROOT / "chapters").glob("*.md"))
    stale = [md for md in files if sync(md.resolve(), args.check)]
    for md in stale:
        print(f"{'out of step' if args.check else 'updated'}: {md}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
