"""Turn the book's MyST markdown into the plain markdown that Colab (and GitHub) render.

The chapters are written in MyST: roles (``{glue:text}`acc:.1%```, ``{doc}`03_architecture```,
``{cite:p}`lecun1998gradient```), directives (admonitions, figures, sphinx-exercise's
exercises and solutions) and targets (``(label)=``) that only the book's Sphinx build
understands. :class:`Converter` rewrites one markdown cell at a time:

* a glued value becomes the number of the book's stored run (read from the executed
  ``chapters/NN_name.ipynb``, formatted by myst-nb's own ``format_plain_text``); a value that
  depends on the run (its cell is not tagged ``nbval-check-output``) is marked ``†``, and a
  note at the end of the cell says that it comes from the book's run;
* ``{doc}``, ``{ref}``, ``{numref}`` and relative links to a page become links into the
  rendered book (``html.baseurl`` of ``_config.yml``), with the page's title, the section's
  title or "Exercise 4.1" as text; citations become "LeCun et al. (1998)" linked to the
  References page (authors and years read from ``references.bib`` with pybtex);
* admonitions become block quotes with a bold title, figures become images (files of the
  repository are linked on GitHub), math directives become ``$$`` blocks, definition lists
  become bullet lists, and targets and ``%`` comments go;
* exercises become headings "Exercise 4.1" (numbered as in the book: chapter number from
  ``_toc.yml``, then the exercise's rank in the chapter) and solutions "Solution to Exercise
  4.1"; with ``solutions=False`` the solutions' headings are left out (nbgrader clears the
  rest).

Why not a converter of its own, or regular expressions: the text is parsed by myst-parser's
own markdown-it set-up, with the extensions the book enables, so that what counts as a role,
a directive or a code span is exactly what the book sees (a role quoted in a code span stays
literal). Directive arguments and options are read by myst-parser's ``parse_directive_text``
with the directives' own classes (docutils, Sphinx, sphinx-exercise). Only the spans that
need it are rewritten: the rest of the author's markdown, line breaks included, is kept as
written. ``sphinx-tojupyter`` was considered: it converts a whole Sphinx build, needs a
build per edition (minutes), and knows neither myst-nb's glue nor sphinx-exercise's gated
directives; ``jupytext`` and ``nbconvert`` read and write the notebooks but leave MyST
markup as it is.

Anything the converter does not know (a directive, a role, a substitution, a footnote)
stops it with an :class:`EditionError` that names the chapter, the cell and the construct,
so that nothing MyST-only reaches a learner unnoticed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import latexcodec  # noqa: F401  (registers the "ulatex" codec used for names in references.bib)
import nbformat
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tools.chapter_format import EditionError
from tools.common import book_config, toc_files

__all__ = ["Book", "Converter", "EditionError", "find_myst", "markdown_parser"]

RUN_MARK = "†"
RUN_NOTE = (
    f"<small>{RUN_MARK} In the book's run of this notebook. When you run the cells above, "
    "your numbers may differ a little.</small>"
)
DETERMINISTIC_TAG = "nbval-check-output"
NUMREF_PREFIX = {"figure": "Fig.", "exercise": "Exercise", "section": "Section"}  # Sphinx's

# Directive names -> (module, class) whose option and argument specs parse them.
_DIRECTIVE_CLASSES = {
    "attention": ("docutils.parsers.rst.directives.admonitions", "Attention"),
    "caution": ("docutils.parsers.rst.directives.admonitions", "Caution"),
    "danger": ("docutils.parsers.rst.directives.admonitions", "Danger"),
    "error": ("docutils.parsers.rst.directives.admonitions", "Error"),
    "hint": ("docutils.parsers.rst.directives.admonitions", "Hint"),
    "important": ("docutils.parsers.rst.directives.admonitions", "Important"),
    "note": ("docutils.parsers.rst.directives.admonitions", "Note"),
    "tip": ("docutils.parsers.rst.directives.admonitions", "Tip"),
    "warning": ("docutils.parsers.rst.directives.admonitions", "Warning"),
    "admonition": ("docutils.parsers.rst.directives.admonitions", "Admonition"),
    "seealso": ("sphinx.directives.other", "SeeAlso"),
    "figure": ("docutils.parsers.rst.directives.images", "Figure"),
    "image": ("docutils.parsers.rst.directives.images", "Image"),
    "math": ("sphinx.directives.patches", "MathDirective"),
    "code-block": ("sphinx.directives.code", "CodeBlock"),
    "code": ("sphinx.directives.code", "CodeBlock"),
    "sourcecode": ("sphinx.directives.code", "CodeBlock"),
    "exercise": ("sphinx_exercise.directive", "ExerciseDirective"),
    "exercise-start": ("sphinx_exercise.directive", "ExerciseStartDirective"),
    "exercise-end": ("sphinx_exercise.directive", "ExerciseEndDirective"),
    "solution": ("sphinx_exercise.directive", "SolutionDirective"),
    "solution-start": ("sphinx_exercise.directive", "SolutionStartDirective"),
    "solution-end": ("sphinx_exercise.directive", "SolutionEndDirective"),
}
ADMONITION_TITLES = {
    "attention": "Attention",
    "caution": "Caution",
    "danger": "Danger",
    "error": "Error",
    "hint": "Hint",
    "important": "Important",
    "note": "Note",
    "tip": "Tip",
    "warning": "Warning",
    "seealso": "See also",
}
ROLES = (
    "glue",
    "glue:",
    "glue:any",
    "glue:text",
    "glue:md",
    "doc",
    "ref",
    "numref",
    "cite",
    "cite:p",
    "cite:t",
    "cite:ps",
    "cite:ts",
    "math",
    "sub",
    "sup",
    "abbr",
    "term",
)
#: Token types that only MyST (or a Sphinx extension) understands: none may be left.
MYST_TOKENS = {
    "myst_role",
    "myst_target",
    "myst_line_comment",
    "myst_block_break",
    "math_block_label",
    "amsmath",
    "substitution_inline",
    "substitution_block",
    "dl_open",
    "footnote_ref",
    "footnote_block_open",
    "colon_fence",
    "front_matter",
}


# -- Parsing ---------------------------------------------------------------------------------------


@cache
def markdown_parser(extensions: frozenset[str] = frozenset()) -> MarkdownIt:
    """myst-parser's markdown-it parser with the MyST ``extensions`` the book enables."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


def _walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def find_myst(text: str, extensions: frozenset[str]) -> list[str]:
    """Every MyST-only construct in ``text`` (a markdown cell), as short descriptions.

    What the tests use to prove that a Colab-edition cell holds plain markdown only.
    """
    found = []
    for token in _walk(markdown_parser(extensions).parse(text)):
        where = f"line {token.map[0] + 1}: " if token.map else ""
        if token.type in MYST_TOKENS:
            found.append(f"{where}{token.type} {token.content[:40]!r}")
        elif token.type == "fence" and token.info.strip().startswith("{"):
            found.append(f"{where}directive {token.info.strip()}")
    return found


def _directive_class(name: str) -> type:
    import importlib

    module, cls = _DIRECTIVE_CLASSES[name]
    return getattr(importlib.import_module(module), cls)


@dataclass
class Directive:
    """A fenced MyST directive: its name, arguments, options and body lines."""

    name: str
    arguments: list[str]
    options: dict[str, Any]
    body: str


def parse_directive(token: Token, where: str) -> Directive:
    """Read a ``{name}`` fence with myst-parser, using the directive's own class."""
    from myst_parser.parsers.directives import parse_directive_text

    info = token.info.strip()
    match = re.fullmatch(r"\{([^}\s]+)\}\s*(.*)", info, flags=re.DOTALL)
    if not match:
        raise EditionError(f"{where}: cannot read the directive line {info!r}")
    name, first_line = match.group(1), match.group(2)
    if name not in _DIRECTIVE_CLASSES:
        raise EditionError(
            f"{where}: the {{{name}}} directive has no plain-markdown form in tools.editions "
            f"(it converts {', '.join(sorted(_DIRECTIVE_CLASSES))}); use one of those, "
            "or teach tools/myst_markdown.py the new one"
        )
    try:
        result = parse_directive_text(
            _directive_class(name), first_line, token.content, validate_options=True
        )
    except Exception as error:  # docutils' MarkupError and friends
        raise EditionError(f"{where}: {{{name}}} directive: {error}") from None
    return Directive(name, result.arguments, result.options, "\n".join(result.body))


# -- The book: pages, titles, labels, numbers, references -----------------------------------------


@dataclass
class Target:
    """Something a ``{ref}`` can point at: its page, anchor, text and (book) number."""

    page: str
    anchor: str
    title: str
    kind: str  # "section", "exercise", "figure", "target"
    number: str = ""


@dataclass
class Book:
    """What links need to know about the book: configuration, pages and their labels.

    Build it once with :meth:`load` and share it between chapters.
    """

    root: Path
    repo: str
    branch: str
    baseurl: str
    extensions: frozenset[str]
    pages: list[str]
    numbers: dict[str, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Target] = field(default_factory=dict)
    _bib: dict[str, tuple[str, str]] | None = None

    @classmethod
    def load(cls, root: Path) -> Book:
        from tools.common import repository

        root = root.resolve()
        config = book_config(root)
        baseurl = (config.get("html") or {}).get("baseurl", "")
        if not re.fullmatch(r"https?://\S+/", baseurl or ""):
            raise EditionError(
                f"{root / '_config.yml'}: html.baseurl must be the rendered book's address, "
                f"ending in '/' (e.g. https://OWNER.github.io/NAME/), got {baseurl!r}"
            )
        repo, branch = repository(root)
        extensions = frozenset((config.get("parse") or {}).get("myst_enable_extensions") or [])
        book = cls(root, repo, branch, baseurl, extensions, toc_files(root))
        book.numbers = _chapter_numbers(root)
        for page in book.pages:
            book._index(page)
        return book

    # pages

    def source(self, page: str) -> Path:
        """The file a page of the book is built from (``.md`` first, then ``.ipynb``)."""
        for suffix in (".md", ".ipynb"):
            path = self.root / f"{page}{suffix}"
            if path.exists():
                return path
        raise EditionError(f"_toc.yml lists {page}, which has no .md or .ipynb")

    def page_url(self, page: str, anchor: str = "") -> str:
        return f"{self.baseurl}{page}.html" + (f"#{anchor}" if anchor else "")

    def file_url(self, path: Path) -> str:
        """Where a file of the repository is served raw from GitHub (images)."""
        rel = path.resolve().relative_to(self.root).as_posix()
        return f"https://raw.githubusercontent.com/{self.repo}/{self.branch}/{rel}"

    def blob_url(self, path: Path) -> str:
        rel = path.resolve().relative_to(self.root).as_posix()
        return f"https://github.com/{self.repo}/blob/{self.branch}/{rel}"

    def _page_texts(self, page: str) -> list[str]:
        path = self.source(page)
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            return [c.source for c in nb.cells if c.cell_type == "markdown"]
        return [path.read_text()]

    def _index(self, page: str) -> None:
        """Record the page's title and every label it defines, numbered as the book does.

        Chapters of a numbered part of ``_toc.yml`` number their sections (4.1, 4.2.1),
        their exercises (Exercise 4.1) and their figures (Fig. 4.1), in order of appearance.
        """
        chapter = self.numbers.get(page)
        parser = markdown_parser(self.extensions)
        counters = [0] * 7
        exercises = figures = 0
        pending: list[str] = []  # (label)= targets waiting for the block they name
        for text in self._page_texts(page):
            tokens = parser.parse(text)
            for index, token in enumerate(tokens):
                if token.type == "myst_target":
                    pending.append(token.content.strip())
                    continue
                if token.level != 0 or token.nesting == -1 or token.type == "myst_line_comment":
                    continue
                named = None
                if token.type == "heading_open":
                    level = int(token.tag[1])
                    title = plain_text(tokens[index + 1])
                    counters[level] += 1
                    counters[level + 1 :] = [0] * (6 - level)
                    if level == 1:
                        self.titles.setdefault(page, title)
                    number = ""
                    if chapter is not None:
                        number = ".".join(str(n) for n in [chapter, *counters[2 : level + 1]])
                    named = Target(page, "", title, "section", number)
                elif token.type in ("fence", "colon_fence"):
                    name = re.match(r"\{([^}\s]+)\}", token.info.strip())
                    name = name.group(1) if name else ""
                    if name in ("exercise", "exercise-start", "figure"):
                        directive = parse_directive(token, page)
                        key = "name" if name == "figure" else "label"
                        label = str(directive.options.get(key) or "")
                        if name == "figure":
                            figures += 1
                            number = f"{chapter}.{figures}" if chapter else str(figures)
                            caption = " ".join(directive.body.split("\n\n")[0].split())
                            found = Target(page, label, caption, "figure", number)
                        elif "nonumber" in directive.options:
                            found = Target(page, label, "Exercise", "exercise")
                        else:
                            exercises += 1
                            number = f"{chapter}.{exercises}" if chapter else str(exercises)
                            found = Target(page, label, f"Exercise {number}", "exercise", number)
                        if label:
                            self.labels[label] = found
                for label in pending:
                    if named is not None:
                        self.labels[label] = Target(
                            page, label, named.title, named.kind, named.number
                        )
                    else:
                        self.labels.setdefault(label, Target(page, label, label, "target"))
                pending = []
        for label in pending:
            self.labels.setdefault(label, Target(page, label, label, "target"))

    def title(self, page: str) -> str:
        if page not in self.titles:
            raise EditionError(f"{page}: no '# Title' heading to name a link to it")
        return self.titles[page]

    # references

    def citation(self, key: str) -> tuple[str, str]:
        """(authors, year) of a ``references.bib`` entry, e.g. ("LeCun et al.", "1998")."""
        if self._bib is None:
            self._bib = _read_bib(self.root)
        if key not in self._bib:
            raise EditionError(f"no entry {key!r} in the book's bibliography")
        return self._bib[key]


def _chapter_numbers(root: Path) -> dict[str, int]:
    """Chapter number of each page of a numbered part of ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    numbers: dict[str, int] = {}
    for part in toc.get("parts", []):
        if not part.get("numbered"):
            continue
        for entry in part.get("chapters", []):
            numbers[entry["file"]] = len(numbers) + 1
    return numbers


def _latex_to_text(text: str) -> str:
    return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")


def _read_bib(root: Path) -> dict[str, tuple[str, str]]:
    from pybtex.database import parse_file

    config = book_config(root)
    entries: dict[str, tuple[str, str]] = {}
    for name in config.get("bibtex_bibfiles") or []:
        database = parse_file(str(root / name))
        for key, entry in database.entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_latex_to_text(" ".join(p.prelast_names + p.last_names)) for p in people] or [
                _latex_to_text(entry.fields.get("organization", key))
            ]
            if len(names) == 1:
                authors = names[0]
            elif len(names) == 2:
                authors = f"{names[0]} and {names[1]}"
            else:
                authors = f"{names[0]} et al."
            entries[key] = (authors, entry.fields.get("year", "n.d."))
    return entries


def plain_text(inline: Token) -> str:
    """The text of an inline token (a heading's, say), markup and roles reduced to words."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "myst_role", "math_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
    return "".join(parts).strip()


# -- Converting a chapter's markdown, cell by cell -----------------------------------------------


def _flex(text: str) -> str:
    """A pattern for ``text`` as written in the source: any run of white space may differ."""
    return r"\s+".join(re.escape(part) for part in text.split())


@dataclass
class Glued:
    """A value glued in the book's run: its text/plain and whether a rerun reproduces it."""

    text: str
    deterministic: bool
    markdown: str | None = None


def glue_values(ipynb: Path) -> dict[str, Glued]:
    """Every value glued in an executed chapter, as myst-nb reads it."""
    import copy

    from myst_nb.ext.glue import extract_glue_data_cell

    if not ipynb.exists():
        raise EditionError(
            f"{ipynb}: not found; the editions quote the book's run, so execute the chapter "
            f"first (python -m tools.execute {ipynb.with_suffix('.md')})"
        )
    try:
        executed = nbformat.read(ipynb, as_version=4)
    except Exception as error:  # not JSON, not a notebook
        raise EditionError(
            f"{ipynb}: cannot read it as a notebook ({type(error).__name__}); "
            f"execute the chapter again (python -m tools.execute {ipynb.with_suffix('.md')})"
        ) from None
    values: dict[str, Glued] = {}
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        deterministic = DETERMINISTIC_TAG in cell.metadata.get("tags", [])
        for key, output in extract_glue_data_cell(copy.deepcopy(cell)):
            data = output.get("data", {})
            values[key] = Glued(
                data.get("text/plain", ""), deterministic, data.get("text/markdown")
            )
    return values


@dataclass
class _State:
    """What a chapter's conversion carries from one cell to the next."""

    section_level: int = 1  # level of the last heading outside an exercise
    exercise_level: int = 3
    exercise: Target | None = None  # the exercise being read (between start and end)
    exercise_open: bool = False
    solution: str | None = None  # label of the gated solution being read
    exercises_seen: int = 0


class Converter:
    """Converts the markdown cells of one chapter, in order, into plain markdown.

    ``solutions=False`` leaves out the headings of the solutions (nbgrader clears the rest).
    """

    def __init__(self, book: Book, page: str, glue: dict[str, Glued], *, solutions: bool) -> None:
        self.book = book
        self.page = page
        self.glue = glue
        self.solutions = solutions
        self.parser = markdown_parser(book.extensions)
        self.state = _State()
        self.chapter = book.numbers.get(page)
        self.run_marked = False  # a value of the book's run was quoted in this cell
        self.wrote_in_solution = False  # this cell had something inside a gated solution

    # public

    def cell(self, source: str, where: str) -> str:
        """The plain markdown of one markdown cell ('' when nothing is left of it)."""
        self.run_marked = self.wrote_in_solution = False
        text = self._blocks(source, where)
        text = "\n".join(_collapse_blank(text.split("\n"))).strip("\n")
        if self.run_marked and text:
            text = f"{text}\n\n{RUN_NOTE}"
        return text

    def finish(self, where: str) -> None:
        """Fail if the chapter leaves an exercise or a solution open."""
        if self.state.exercise_open:
            raise EditionError(f"{where}: an exercise-start has no exercise-end")
        if self.state.solution is not None:
            raise EditionError(f"{where}: solution-start {self.state.solution} has no solution-end")

    @property
    def in_solution(self) -> bool:
        return self.state.solution is not None

    # blocks

    def _blocks(self, source: str, where: str) -> str:
        lines = source.split("\n")
        tokens = self.parser.parse(source)
        out: list[str] = []
        cursor = 0
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.level != 0 or token.map is None:
                index += 1
                continue
            end = index
            if token.nesting == 1:
                depth = 0
                for end in range(index, len(tokens)):
                    depth += tokens[end].nesting
                    if depth == 0:
                        break
            block = tokens[index : end + 1]
            start, stop = token.map
            if token.type == "amsmath":  # its map can stop a line short of \end{...}
                stop = max(stop, start + token.content.count("\n") + 1)
            here = f"{where}, line {start + 1}"
            gap = lines[cursor:start]
            info = token.info.strip() if token.type in ("fence", "colon_fence") else ""
            structural = re.match(r"\{(exercise|solution)", info) is not None
            self.wrote_in_solution |= self.in_solution and not structural
            converted = self._block(block, lines[start:stop], here)
            if converted is not None:
                out += gap
                out.append(converted)
                block_lines = lines[start:stop]
                while block_lines and not block_lines[-1].strip():  # keep the blank line
                    out.append("")  # that ended the block (a definition list's, say)
                    block_lines.pop()
            cursor = stop
            index = end + 1
        return "\n".join(out + lines[cursor:])

    def _block(self, block: list[Token], lines: list[str], where: str) -> str | None:
        """One top-level block as plain markdown, or None if it goes."""
        token = block[0]
        kind = token.type
        if kind in ("myst_target", "myst_line_comment", "myst_block_break", "front_matter"):
            return None
        if kind in ("fence", "colon_fence"):
            if token.info.strip().startswith("{"):
                return self._directive(token, where)
            if kind == "colon_fence":
                return "\n".join(["```" + token.info.strip(), token.content.rstrip("\n"), "```"])
            return "\n".join(lines)
        if kind == "math_block_label":
            return f"$$\n{token.content.strip()}\n$$"
        if kind == "amsmath":
            return f"$$\n{token.content.strip()}\n$$"
        if kind == "dl_open":
            return self._definitions(block, where)
        if kind == "heading_open":
            level = int(token.tag[1])
            if self.state.exercise is None and self.state.solution is None:
                self.state.section_level = level
        for inner in _walk(block[1:] if kind != "inline" else block):
            if inner.type in ("fence", "colon_fence") and inner.info.strip().startswith("{"):
                raise EditionError(
                    f"{where}: a {inner.info.strip()} directive inside a list or quote; "
                    "tools.editions converts directives at the top level of a cell only"
                )
            if inner.type in MYST_TOKENS - {"myst_role"}:
                raise EditionError(
                    f"{where}: {inner.type.replace('_', ' ')} has no plain-markdown form "
                    "in tools.editions; write it in plain markdown"
                )
        return self._inline("\n".join(lines), block, where)

    # inline

    def _inline(self, text: str, block: list[Token], where: str) -> str:
        """``text`` with every role, book link and repository image in it rewritten."""
        cursor = 0
        for token in _walk(block):
            if token.type == "code_inline":
                pattern = re.escape(token.markup) + r"\s*" + _flex(token.content) + r"\s*"
                pattern += re.escape(token.markup)
                match = re.compile(pattern).search(text, cursor)
                if match:
                    cursor = match.end()
                continue
            if token.type == "math_inline":
                match = re.compile(re.escape("$") + _flex(token.content)).search(text, cursor)
                if match:
                    cursor = match.end()
                continue
            if token.type == "myst_role":
                name = token.meta.get("name", "")
                pattern = re.escape(f"{{{name}}}") + r"(`+)\s*" + _flex(token.content) + r"\s*\1"
                replacement = self._role(name, token.content, where)
            elif token.type == "link_open":
                href = token.attrs.get("href", "")
                new = self._link(str(href), where)
                if new is None:
                    continue
                pattern = r"\]\(\s*<?" + re.escape(str(href))
                replacement = "](" + new
            elif token.type == "image":
                src = str(token.attrs.get("src", ""))
                new = self._image(src, where)
                if new is None:
                    continue
                pattern = r"\]\(\s*<?" + re.escape(src)
                replacement = "](" + new
            else:
                continue
            match = re.compile(pattern).search(text, cursor)
            if match is None:
                raise EditionError(f"{where}: cannot find {token.content!r} in the source")
            text = text[: match.start()] + replacement + text[match.end() :]
            if token.type == "myst_role":  # a link's target comes after its text: stay
                cursor = match.start() + len(replacement)
        return text

    def _role(self, name: str, content: str, where: str) -> str:
        content = " ".join(content.split())
        if name in ("glue", "glue:", "glue:any", "glue:text", "glue:md"):
            return self._glue(name, content, where)
        if name == "doc":
            text, target = _explicit(content)
            page = self._page(target, where)
            return f"[{text or self.book.title(page)}]({self.book.page_url(page)})"
        if name in ("ref", "numref"):
            text, label = _explicit(content)
            target = self.book.labels.get(label)
            if target is None:
                raise EditionError(
                    f"{where}: {{{name}}}`{content}`: no label {label!r} in the book"
                )
            if name == "numref":
                number = target.number
                if not number:
                    raise EditionError(
                        f"{where}: {{numref}}`{content}`: {label!r} has no number in the book"
                    )
                prefix = NUMREF_PREFIX.get(target.kind, "")
                text = (
                    text.replace("%s", number).replace("{number}", number)
                    if text
                    else f"{prefix} {number}"
                )
            text = text or target.title
            return f"[{text}]({self.book.page_url(target.page, target.anchor)})"
        if name.startswith("cite"):
            return self._cite(name, content, where)
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        if name == "abbr":
            match = re.fullmatch(r"(.*?)\s*\((.*)\)", content)
            return f"{match.group(1)} ({match.group(2)})" if match else content
        if name == "term":
            return _explicit(content)[0] or content
        raise EditionError(
            f"{where}: the {{{name}}} role has no plain-markdown form in tools.editions "
            f"(it converts {', '.join(ROLES)}); use one of those"
        )

    def _glue(self, name: str, content: str, where: str) -> str:
        from myst_nb.core.variables import format_plain_text

        key, _, spec = content.rpartition(":") if name == "glue:text" else (content, "", "")
        if name == "glue:text" and not key:
            key, spec = content, ""
        if "::" in key:
            raise EditionError(
                f"{where}: {{{name}}}`{content}` glues from another page; "
                "the editions quote only the chapter's own run"
            )
        glued = self.glue.get(key)
        if glued is None:
            raise EditionError(
                f"{where}: {{{name}}}`{content}`: {key!r} is not glued in the chapter's "
                "executed notebook; glue it in a code cell and re-execute the chapter"
            )
        if name == "glue:md":
            value = glued.markdown or glued.text
        else:
            try:
                value = format_plain_text(glued.text, spec or "")
            except Exception as error:
                raise EditionError(
                    f"{where}: cannot format {key!r} with {spec!r}: {error}"
                ) from None
        if glued.deterministic:
            return value
        self.run_marked = True
        return f"{value}{RUN_MARK}"

    def _cite(self, name: str, content: str, where: str) -> str:
        keys = [key.strip() for key in content.split(",") if key.strip()]
        url = self.book.page_url(self._references_page(where))
        try:
            found = [self.book.citation(key) for key in keys]
        except EditionError as error:
            raise EditionError(f"{where}: {{{name}}}`{content}`: {error}") from None
        if name in ("cite:t", "cite:ts"):
            return "; ".join(f"[{authors} ({year})]({url})" for authors, year in found)
        inner = "; ".join(f"{authors}, {year}" for authors, year in found)
        return f"([{inner}]({url}))"

    def _references_page(self, where: str) -> str:
        for page in self.book.pages:
            path = self.book.source(page)
            if path.suffix == ".md" and "{bibliography}" in path.read_text():
                return page
        raise EditionError(f"{where}: a citation, but no page of the book has a bibliography")

    def _page(self, target: str, where: str) -> str:
        """The book page that a ``{doc}`` target or a relative link names."""
        target = re.sub(r"\.(md|ipynb)$", "", target.strip())
        if target.startswith("/"):
            page = target.lstrip("/")
        else:
            base = Path(self.page).parent
            parts: list[str] = []
            for part in (base / target).as_posix().split("/"):
                if part == "..":
                    if not parts:
                        raise EditionError(f"{where}: {target!r} leaves the book")
                    parts.pop()
                elif part not in ("", "."):
                    parts.append(part)
            page = "/".join(parts)
        if page not in self.book.pages:
            raise EditionError(
                f"{where}: {target!r} is not a page of the book (_toc.yml lists "
                f"{', '.join(self.book.pages)})"
            )
        return page

    def _link(self, href: str, where: str) -> str | None:
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, flags=re.I):  # http:, mailto:, ...
            return None
        if href.startswith("#"):
            label = href[1:]
            target = self.book.labels.get(label)
            if target is None:
                raise EditionError(f"{where}: link to #{label}, which no label of the book names")
            return self.book.page_url(target.page, target.anchor)
        path, _, anchor = href.partition("#")
        if re.search(r"\.(md|ipynb)$", path):
            return self.book.page_url(self._page(path, where), anchor)
        file = (self.book.root / Path(self.page).parent / path).resolve()
        if not file.exists():
            raise EditionError(f"{where}: link to {href!r}, which is not a file of the book")
        return self.book.blob_url(file)

    def _image(self, src: str, where: str) -> str | None:
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, flags=re.I):
            return None
        file = (self.book.root / Path(self.page).parent / src).resolve()
        if not file.exists():
            raise EditionError(f"{where}: image {src!r} is not a file of the repository")
        return self.book.file_url(file)

    # directives

    def _directive(self, token: Token, where: str) -> str | None:
        directive = parse_directive(token, where)
        name = directive.name
        state = self.state
        if name in ("exercise", "exercise-start"):
            if state.exercise_open or state.solution is not None:
                raise EditionError(f"{where}: an exercise starts inside another or a solution")
            state.exercises_seen += 1
            label = directive.options.get("label", "")
            target = self.book.labels.get(label) if label else None
            if target is None:
                number = (
                    f"{self.chapter}.{state.exercises_seen}"
                    if self.chapter
                    else str(state.exercises_seen)
                )
                target = Target(self.page, label, f"Exercise {number}", "exercise", number)
            state.exercise = target
            state.exercise_level = min(state.section_level + 1, 6)
            title = target.title
            if directive.arguments:
                title += f" ({self._nested(' '.join(directive.arguments), where)})"
            heading = "#" * state.exercise_level + " " + title
            if name == "exercise":
                state.exercise = None
                body = self._nested(directive.body, where)
                return f"{heading}\n\n{body}" if body else heading
            state.exercise_open = True
            return heading
        if name == "exercise-end":
            if not state.exercise_open:
                raise EditionError(f"{where}: exercise-end without exercise-start")
            state.exercise_open = False
            return None
        if name in ("solution", "solution-start"):
            if state.solution is not None or state.exercise_open:
                raise EditionError(f"{where}: a solution starts inside an exercise or solution")
            label = directive.arguments[0] if directive.arguments else ""
            target = self.book.labels.get(label) or state.exercise
            title = f"Solution to {target.title}" if target else "Solution"
            level = min(state.exercise_level + 1, 6)
            if name == "solution":
                if not self.solutions:
                    return None
                body = self._nested(directive.body, where)
                return "#" * level + f" {title}\n\n{body}"
            state.solution = label or "(no label)"
            return "#" * level + f" {title}" if self.solutions else None
        if name == "solution-end":
            if state.solution is None:
                raise EditionError(f"{where}: solution-end without solution-start")
            state.solution = None
            state.exercise = None
            return None
        if name in ADMONITION_TITLES or name == "admonition":
            title = (
                self._nested(" ".join(directive.arguments), where)
                if name == "admonition"
                else ADMONITION_TITLES[name]
            )
            body = self._nested(directive.body, where)
            quoted = [f"> **{title}**", ">"] + [f"> {line}".rstrip() for line in body.split("\n")]
            return "\n".join(quoted)
        if name in ("figure", "image"):
            src = directive.arguments[0]
            url = self._image(src, where) or src
            alt = directive.options.get("alt", "")
            if name == "image":
                return f"![{alt}]({url})"
            caption = self._nested(directive.body, where)
            return f"![{alt or caption}]({url})" + (f"\n\n*{caption}*" if caption else "")
        if name == "math":
            return f"$$\n{directive.body.strip()}\n$$"
        if name in ("code-block", "code", "sourcecode"):
            language = directive.arguments[0] if directive.arguments else ""
            return f"```{language}\n{directive.body.rstrip()}\n```"
        raise EditionError(f"{where}: no plain-markdown form for the {{{name}}} directive")

    def _nested(self, body: str, where: str) -> str:
        """Markdown inside a directive, converted the same way."""
        marked = self.run_marked
        text = self._blocks(body, where + " (inside a directive)")
        self.run_marked = self.run_marked or marked
        return "\n".join(_collapse_blank(text.split("\n"))).strip("\n")

    def _definitions(self, block: list[Token], where: str) -> str:
        """A definition list as a bullet list: ``* **term**: definition``."""
        items: list[str] = []
        term = ""
        for index, token in enumerate(block):
            if token.type == "dt_open":
                term = self._inline(block[index + 1].content, [block[index + 1]], where)
            elif token.type == "dd_open":
                parts = []
                depth = 0
                for inner in block[index + 1 :]:
                    if inner.type == "dd_close" and depth == 0:
                        break
                    depth += inner.nesting if inner.type != "dd_open" else 0
                    if inner.type == "inline":
                        parts.append(self._inline(inner.content, [inner], where))
                definition = " ".join(" ".join(parts).split())
                items.append(f"* **{term}**: {definition}")
        return "\n".join(items)


def _explicit(content: str) -> tuple[str | None, str]:
    """``text <target>`` -> (text, target); ``target`` -> (None, target)."""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content.strip(), flags=re.DOTALL)
    if match and match.group(1):
        return match.group(1), match.group(2).strip()
    return None, content.strip()


def _collapse_blank(lines: list[str]) -> list[str]:
    """At most one blank line in a row (blocks that went leave gaps)."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return out
