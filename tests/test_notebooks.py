"""The chapters as files: paired, executed, Colab-ready, warning-free, in the table of contents.

Executing them is nbval's job (see pyproject.toml); these tests check what a reader, a
learner in Colab and the book build rely on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jupytext
import pytest

from tools import editions, execute
from tools.common import ROOT, chapters, repository, toc_files

CHAPTERS = chapters()
WARNING_RE = re.compile(r"\b(Deprecation|User|Future|Runtime|Syntax|PendingDeprecation)Warning\b")


def _cells(path: Path) -> list[tuple[str, str]]:
    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def _ipynb(md: Path) -> dict:
    return json.loads(md.with_suffix(".ipynb").read_text())


def test_every_chapter_file_is_in_the_toc_and_every_toc_entry_exists():
    on_disk = sorted((ROOT / "chapters").glob("*.md"))
    assert sorted(CHAPTERS) == on_disk, "chapters/*.md and the chapters of _toc.yml differ"
    for entry in toc_files():
        assert list(ROOT.glob(f"{entry}.*")), f"_toc.yml lists {entry}, which does not exist"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_md_and_ipynb_agree(md: Path):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{md.name} has no paired {ipynb.name}: run tools/execute.py"
    from_md, from_ipynb = _cells(md), _cells(ipynb)
    assert len(from_md) == len(from_ipynb), (
        f"{md.name} and {ipynb.name} have {len(from_md)} and {len(from_ipynb)} cells: "
        "re-execute with tools/execute.py"
    )
    for i, (a, b) in enumerate(zip(from_md, from_ipynb, strict=True)):
        assert a == b, f"cell {i} differs between {md.name} and {ipynb.name}"
    formats = _ipynb(md)["metadata"].get("jupytext", {}).get("formats", "")
    assert "md:myst" in formats and "ipynb" in formats


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_committed_executed_top_to_bottom(md: Path):
    code = [c for c in _ipynb(md)["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, f"{md.stem}: unexecuted cells (nbval would check nothing there)"
    assert counts == list(range(1, len(code) + 1)), f"{md.stem}: not run top to bottom once"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{md.stem}: stored outputs contain an error"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_outputs_have_no_python_warnings(md: Path):
    for cell in _ipynb(md)["cells"]:
        for output in cell.get("outputs", []):
            text = json.dumps(output)
            match = WARNING_RE.search(text)
            assert not match, f"{md.stem}: a stored output contains {match.group(0)}"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_keras3_idioms_only(md: Path):
    code = "\n".join(src for kind, src in _cells(md) if kind == "code")
    assert "input_shape=" not in code, "use keras.Input(shape=...) instead of input_shape="
    assert "tensorflow.keras" not in code and "tf.keras" not in code, "import keras (Keras 3)"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_colab_badge_opens_the_colab_edition_on_a_gpu(md: Path):
    nb = _ipynb(md)
    assert nb["metadata"].get("accelerator") == "GPU"
    head = "".join("".join(c["source"]) for c in nb["cells"][:2] if c["cell_type"] == "markdown")
    assert editions.chapter_badge(md) in head, f"{md.stem}: badge missing or stale"
    repo, branch = repository()
    assert editions.colab_url(editions.edition_path(md, solutions=True)).endswith(
        f"/{repo}/blob/{branch}/colab/{md.stem}.ipynb"
    )
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(first_code["source"])
    assert source == editions.install_cell(), f"{md.stem}: first code cell is not the set-up cell"
    assert "--no-deps" in source, "installing lenet_utils must not touch Colab's TensorFlow"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.stem)
def test_every_glued_name_in_the_text_is_computed(md: Path):
    nb = _ipynb(md)
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    used = set(re.findall(r"\{glue:?\w*\}`([\w]+)", text))
    glued = set()
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook", {})
            if "name" in scrap:
                glued.add(scrap["name"])
    assert used <= glued, f"{md.stem}: text quotes {sorted(used - glued)}, never glued"


def test_reproducibility_page_is_current():
    assert execute.main(["--page", "--check"]) == 0


def test_the_instructor_guide_sets_objectives_for_every_chapter_in_order():
    """The guide's objectives table is written by hand, but its rows follow _toc.yml."""
    text = (ROOT / "instructor_guide.md").read_text()
    table = text.split("## Learning objectives", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| \{doc\}`(chapters/[\w]+)` \| (.+) \|$", table, flags=re.M)
    assert [page for page, _ in rows] == [f"chapters/{md.stem}" for md in CHAPTERS]
    for page, objectives in rows:
        assert len(objectives.split()) >= 10, f"{page}: objectives missing in the guide"
