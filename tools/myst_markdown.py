"""Turn a chapter's MyST markdown into the plain markdown that Colab renders, cell by cell.

It converts what the chapters use (:data:`ROLES`, :data:`DIRECTIVES` and ``(label)=``
targets), and stops at anything else MyST-only with an :class:`EditionError` naming the
chapter, the cell and the construct.
"""

from __future__ import annotations

import codecs
import importlib
import posixpath
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

RUN_MARK = "†"
RUN_NOTE = (
    f"<small>{RUN_MARK} From the book's run of this notebook: when you run it, your numbers may "
    "differ a little.</small>"
)
DETERMINISTIC_TAG = "nbval-check-output"  # a glue cell whose values never change: no †

# The directives converted -> (module, class) whose option and argument specs parse them.
DIRECTIVES = {
    "tip": ("docutils.parsers.rst.directives.admonitions", "Tip"),
    "exercise-start": ("sphinx_exercise.directive", "ExerciseStartDirective"),
    "exercise-end": ("sphinx_exercise.directive", "ExerciseEndDirective"),
    "solution-start": ("sphinx_exercise.directive", "SolutionStartDirective"),
    "solution-end": ("sphinx_exercise.directive", "SolutionEndDirective"),
}
ROLES = ("glue:text", "doc", "ref", "cite:p", "cite:t")
# Token types that only MyST (or a Sphinx extension) understands: none may be left.
MYST_TOKENS = set(
    "myst_role myst_target myst_line_comment myst_block_break math_block_label amsmath "
    "substitution_inline substitution_block dl_open footnote_ref footnote_block_open "
    "colon_fence front_matter".split()
)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:, ...


@cache
def markdown_parser(extensions: frozenset[str] = frozenset()) -> MarkdownIt:
    """myst-parser's markdown-it parser with the MyST ``extensions`` the book enables."""
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)), RendererHTML)


def walk(tokens: list[Token]) -> Iterator[Token]:
    """Every token of ``tokens`` and, after each, its children."""
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


def parse_directive(token: Token, where: str) -> tuple[str, Any]:
    """(name, arguments, options and body) of a ``{name}`` fence, read by myst-parser with the
    directive's own class."""
    from myst_parser.parsers.directives import parse_directive_text

    match = re.fullmatch(r"\{([^}\s]+)\}\s*(.*)", token.info.strip(), flags=re.DOTALL)
    if not match:
        raise EditionError(f"{where}: cannot read the directive line {token.info.strip()!r}")
    name = match.group(1)
    if name not in DIRECTIVES:
        raise EditionError(
            f"{where}: the {{{name}}} directive has no plain-markdown form in tools.editions "
            f"(it converts {', '.join(DIRECTIVES)}); use one of those, or teach "
            "tools/myst_markdown.py the new one"
        )
    directive = getattr(importlib.import_module(DIRECTIVES[name][0]), DIRECTIVES[name][1])
    try:
        result = parse_directive_text(directive, match[2], token.content, validate_options=True)
    except Exception as error:  # docutils' MarkupError and friends
        raise EditionError(f"{where}: {{{name}}} directive: {error}") from None
    return name, result


@dataclass
class Target:
    """What a ``{ref}`` points at: its page, anchor and text."""

    page: str
    anchor: str
    title: str


@dataclass
class Book:
    """What links need to know about the book; build it once with :meth:`load` and share it."""

    root: Path
    baseurl: str
    extensions: frozenset[str]
    pages: list[str]
    numbers: dict[str, int] = field(default_factory=dict)  # chapter numbers
    titles: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Target] = field(default_factory=dict)
    references: str = ""  # the page with the bibliography
    cite_id: str = ""  # sphinxcontrib-bibtex's anchor of an entry there ("cite-{key}")
    _bib: dict[str, tuple[str, str]] | None = None

    @classmethod
    def load(cls, root: Path) -> Book:
        root = root.resolve()
        config = book_config(root)
        baseurl = (config.get("html") or {}).get("baseurl", "")
        if not re.fullmatch(r"https?://\S+/", baseurl or ""):
            raise EditionError(
                f"{root / '_config.yml'}: html.baseurl must be the rendered book's address, "
                f"ending in '/' (e.g. https://OWNER.github.io/NAME/), got {baseurl!r}"
            )
        extensions = frozenset((config.get("parse") or {}).get("myst_enable_extensions") or [])
        book = cls(root, baseurl, extensions, toc_files(root), _chapter_numbers(root))
        book.cite_id = ((config.get("sphinx") or {}).get("config") or {}).get("bibtex_cite_id", "")
        for page in book.pages:
            book._index(page)
        return book

    def page_url(self, page: str, anchor: str = "") -> str:
        return f"{self.baseurl}{page}.html" + (f"#{anchor}" if anchor else "")

    def _index(self, page: str) -> None:
        """Record the page's title and the labels it defines (exercises numbered as the book
        numbers them: 4.1, 4.2 in chapter 4)."""
        path = self.root / f"{page}.md"
        if not path.exists():
            raise EditionError(f"_toc.yml lists {page}, which has no .md")
        text = path.read_text()
        if "{bibliography}" in text and not self.references:
            self.references = page
        tokens = markdown_parser(self.extensions).parse(text)
        chapter, exercises = self.numbers.get(page), 0
        pending: list[str] = []  # (label)= targets waiting for the block they name
        for index, token in enumerate(tokens):
            if token.type == "myst_target":
                pending.append(token.content.strip())
                continue
            if token.level != 0 or token.nesting == -1 or token.type == "myst_line_comment":
                continue
            title = None
            if token.type == "heading_open":
                title = plain_text(tokens[index + 1])
                if token.tag == "h1":
                    self.titles.setdefault(page, title)
            elif token.type == "fence" and token.info.strip().startswith("{exercise-start}"):
                exercises += 1
                title = f"Exercise {chapter}.{exercises}" if chapter else f"Exercise {exercises}"
                label = str(parse_directive(token, page)[1].options.get("label") or "")
                if label:
                    self.labels[label] = Target(page, label, title)
            for label in pending:  # a target names the heading or exercise that follows it
                self.labels[label] = Target(page, label, title or label)
            pending = []
        for label in pending:
            self.labels.setdefault(label, Target(page, label, label))

    def title(self, page: str) -> str:
        if page not in self.titles:
            raise EditionError(f"{page}: no '# Title' heading to name a link to it")
        return self.titles[page]

    def citation(self, key: str) -> tuple[str, str]:
        """(authors, year) of a ``references.bib`` entry, e.g. ("LeCun et al.", "1998")."""
        if self._bib is None:
            self._bib = _read_bib(self.root)
        if key not in self._bib:
            raise EditionError(f"no entry {key!r} in the book's bibliography")
        return self._bib[key]


def _chapter_numbers(root: Path) -> dict[str, int]:
    """Chapter number of each page of a numbered part of ``_toc.yml``, in reading order."""
    parts = yaml.safe_load((root / "_toc.yml").read_text()).get("parts", [])
    numbered = [e["file"] for p in parts if p.get("numbered") for e in p.get("chapters", [])]
    return {page: number for number, page in enumerate(numbered, 1)}


def _latex_to_text(text: str) -> str:
    return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")


def _read_bib(root: Path) -> dict[str, tuple[str, str]]:
    # sphinxcontrib-bibtex formats citations only inside a Sphinx build: pybtex reads the file
    from pybtex.database import parse_file

    entries: dict[str, tuple[str, str]] = {}
    for name in book_config(root).get("bibtex_bibfiles") or []:
        for key, entry in parse_file(str(root / name)).entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_latex_to_text(" ".join(p.prelast_names + p.last_names)) for p in people] or [
                _latex_to_text(entry.fields.get("organization", key))
            ]
            authors = " and ".join(names) if len(names) < 3 else f"{names[0]} et al."
            entries[key] = (authors, entry.fields.get("year", "n.d."))
    return entries


def plain_text(inline: Token) -> str:
    """The text of an inline token (a heading's, say), markup and roles reduced to words."""
    words = {"text", "code_inline", "myst_role", "math_inline"}
    return "".join(
        c.content if c.type in words else " " * (c.type == "softbreak")
        for c in inline.children or []
    ).strip()


@dataclass
class Glued:
    """A value glued in the book's run: its text/plain and whether a rerun reproduces it."""

    text: str
    deterministic: bool


def glue_values(ipynb: Path) -> dict[str, Glued]:
    """Every value glued in an executed chapter, as myst-nb reads it."""
    import copy

    from myst_nb.ext.glue import extract_glue_data_cell

    try:
        executed = nbformat.read(ipynb, as_version=4)
    except Exception as error:  # missing, not JSON, not a notebook
        problem = f"cannot read it ({type(error).__name__})" if ipynb.exists() else "not found"
        raise EditionError(
            f"{ipynb}: {problem}; the editions quote the book's run, so execute the chapter "
            f"first (python -m tools.execute {ipynb.with_suffix('.md')})"
        ) from None
    return {
        key: Glued(output.get("data", {}).get("text/plain", ""), deterministic)
        for cell in executed.cells
        if cell.cell_type == "code"
        for deterministic in [DETERMINISTIC_TAG in cell.metadata.get("tags", [])]
        for key, output in extract_glue_data_cell(copy.deepcopy(cell))
    }


def _flex(text: str) -> str:
    """A pattern for ``text`` as written in the source: any run of white space may differ."""
    return r"\s+".join(re.escape(part) for part in text.split())


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
        self.section_level = 1  # level of the last heading outside an exercise
        self.exercise_level = 3
        self.exercise: Target | None = None  # the exercise being read (between start and end)
        self.exercise_open = False
        self.solution: str | None = None  # label of the gated solution being read
        self.exercises_seen = 0
        self.chapter = book.numbers.get(page)
        self.run_marked = False  # a value of the book's run was quoted in this block
        self.wrote_in_solution = False  # this cell had something inside a gated solution
        self.title_note = False  # the title cell quoted the run: its note goes after the cell
        self.prompt_note = False  # an exercise's prompt did: its note goes after the prompt

    def cell(self, source: str, where: str) -> str:
        """The plain markdown of one markdown cell ('' when nothing is left of it). A block
        that quotes a value of the book's run (marked †) is followed by :data:`RUN_NOTE`,
        except in an exercise's prompt (the note follows the prompt) and in the cell with the
        chapter's title (:attr:`title_note` says the note belongs after the cell)."""
        self.wrote_in_solution = self.title_note = False
        return _collapse_blank(self._blocks(source, where, top=True))

    def finish(self, where: str) -> None:
        """Fail if the chapter leaves an exercise or a solution open."""
        if self.exercise_open:
            raise EditionError(f"{where}: an exercise-start has no exercise-end")
        if self.solution is not None:
            raise EditionError(f"{where}: solution-start {self.solution} has no solution-end")

    @property
    def in_solution(self) -> bool:
        return self.solution is not None

    def _blocks(self, source: str, where: str, top: bool = False) -> str:
        """``source`` with each top-level block converted and the lines between kept."""
        lines = source.split("\n")
        tokens = self.parser.parse(source)
        out: list[str] = []
        cursor = index = 0
        title = False  # this is the cell of the chapter's title
        while index < len(tokens):
            token = tokens[index]
            if token.level != 0 or token.map is None:
                index += 1
                continue
            end, depth = index, 0
            if token.nesting == 1:
                for end in range(index, len(tokens)):
                    depth += tokens[end].nesting
                    if depth == 0:
                        break
            start, stop = token.map
            structural = re.match(r"\{(exercise|solution)-", token.info.strip()) is not None
            self.wrote_in_solution |= self.in_solution and not structural
            self.run_marked &= not top
            converted = self._block(
                tokens[index : end + 1], lines[start:stop], f"{where}, line {start + 1}"
            )
            title = title or (token.type == "heading_open" and token.tag == "h1")
            if top and self.run_marked:
                if title:
                    self.title_note = True
                elif self.exercise_open:
                    self.prompt_note = True
                elif converted is not None:
                    converted += f"\n\n{RUN_NOTE}"
            if converted is not None:
                out += lines[cursor:start]
                out.append(converted)
                block_lines = lines[start:stop]
                while block_lines and not block_lines[-1].strip():  # keep the blank line
                    out.append("")  # that ended the block
                    block_lines.pop()
            cursor, index = stop, end + 1
        return "\n".join(out + lines[cursor:])

    def _block(self, block: list[Token], lines: list[str], where: str) -> str | None:
        """One top-level block as plain markdown, or None if it goes."""
        token = block[0]
        if token.type == "myst_target":
            return None
        if token.type == "fence":
            directive = token.info.strip().startswith("{")
            return self._directive(token, where) if directive else "\n".join(lines)
        if token.type == "heading_open" and self.exercise is None and not self.in_solution:
            self.section_level = int(token.tag[1])
        for found in walk(block):
            if found.type == "fence" and found.info.strip().startswith("{"):
                raise EditionError(
                    f"{where}: a {found.info.strip()} directive inside a list or quote; "
                    "tools.editions converts directives at the top level of a cell only"
                )
            if found.type in MYST_TOKENS - {"myst_role"}:
                raise EditionError(
                    f"{where}: {found.type.replace('_', ' ')} has no plain-markdown form "
                    "in tools.editions; write it in plain markdown"
                )
        return self._inline("\n".join(lines), block, where)

    def _inline(self, text: str, block: list[Token], where: str) -> str:
        """``text`` with every role in it rewritten; links must be absolute."""
        cursor = 0
        for token in walk(block):
            if token.type in ("code_inline", "math_inline"):  # roles in there stay as written
                if token.type == "code_inline":
                    pattern = rf"{re.escape(token.markup)}\s*{_flex(token.content)}\s*"
                    pattern += re.escape(token.markup)
                else:
                    pattern = re.escape("$") + _flex(token.content)
                match = re.compile(pattern).search(text, cursor)
                cursor = match.end() if match else cursor
            elif token.type in ("link_open", "image"):
                href = str(token.attrs.get("href" if token.type == "link_open" else "src", ""))
                if not SCHEME.match(href):
                    raise EditionError(
                        f"{where}: {token.type.split('_')[0]} {href!r}: the editions keep only "
                        "absolute links; link to the book's pages with {doc} or {ref}"
                    )
            elif token.type == "myst_role":
                name = token.meta.get("name", "")
                pattern = re.escape(f"{{{name}}}") + r"(`+)\s*" + _flex(token.content) + r"\s*\1"
                match = re.compile(pattern).search(text, cursor)
                if match is None:
                    raise EditionError(f"{where}: cannot find {token.content!r} in the source")
                replacement = self._role(name, token.content, where)
                text = text[: match.start()] + replacement + text[match.end() :]
                cursor = match.start() + len(replacement)
        return text

    def _role(self, name: str, content: str, where: str) -> str:
        content = " ".join(content.split())
        if name == "glue:text":
            return self._glue(content, where)
        if name == "doc":
            text, target = _explicit(content)
            page = self._page(target, where)
            return f"[{text or self.book.title(page)}]({self.book.page_url(page)})"
        if name == "ref":
            text, label = _explicit(content)
            target = self.book.labels.get(label)
            if target is None:
                raise EditionError(f"{where}: {{ref}}`{content}`: no label {label!r} in the book")
            return f"[{text or target.title}]({self.book.page_url(target.page, target.anchor)})"
        if name in ("cite:p", "cite:t"):
            return self._cite(name, content, where)
        raise EditionError(
            f"{where}: the {{{name}}} role has no plain-markdown form in tools.editions "
            f"(it converts {', '.join(ROLES)}); use one of those"
        )

    def _glue(self, content: str, where: str) -> str:
        from myst_nb.core.variables import format_plain_text

        key, _, spec = content.rpartition(":")
        if not key:
            key, spec = content, ""
        glued = self.glue.get(key)
        if glued is None:
            raise EditionError(
                f"{where}: {{glue:text}}`{content}`: {key!r} is not glued in the chapter's "
                "executed notebook; glue it in a code cell and re-execute the chapter"
            )
        try:
            value = format_plain_text(glued.text, spec)
        except Exception as error:
            raise EditionError(f"{where}: cannot format {key!r} with {spec!r}: {error}") from None
        if glued.deterministic:
            return value
        self.run_marked = True
        return f"{value}{RUN_MARK}"

    def _cite(self, name: str, content: str, where: str) -> str:
        if not self.book.references:
            raise EditionError(f"{where}: a citation, but no page of the book has a bibliography")
        from docutils.nodes import make_id

        links = []
        for key in filter(None, (key.strip() for key in content.split(","))):
            try:
                authors, year = self.book.citation(key)
            except EditionError as error:
                raise EditionError(f"{where}: {{{name}}}`{content}`: {error}") from None
            anchor = make_id(self.book.cite_id.format(key=key, bibliography_count=1))
            text = f"{authors} ({year})" if name == "cite:t" else f"{authors}, {year}"
            links.append(f"[{text}]({self.book.page_url(self.book.references, anchor)})")
        return "; ".join(links) if name == "cite:t" else f"({'; '.join(links)})"

    def _page(self, target: str, where: str) -> str:
        """The book page that a ``{doc}`` target names (relative to this page, or from the
        book's root when it starts with ``/``)."""
        target = re.sub(r"\.(md|ipynb)$", "", target.strip())
        here = "" if target.startswith("/") else posixpath.dirname(self.page)
        page = posixpath.normpath(posixpath.join(here, target.lstrip("/")))
        if page not in self.book.pages:
            raise EditionError(
                f"{where}: {target!r} is not a page of the book (_toc.yml lists "
                f"{', '.join(self.book.pages)})"
            )
        return page

    def _directive(self, token: Token, where: str) -> str | None:
        name, directive = parse_directive(token, where)
        if name == "exercise-start":
            if self.exercise_open or self.solution is not None:
                raise EditionError(f"{where}: an exercise starts inside another or a solution")
            self.exercises_seen += 1
            label = directive.options.get("label", "")
            number = f"{self.chapter}." if self.chapter else ""
            self.exercise = self.book.labels.get(label) or Target(
                self.page, label, f"Exercise {number}{self.exercises_seen}"
            )
            self.exercise_level, self.exercise_open = min(self.section_level + 1, 6), True
            title = self.exercise.title
            if directive.arguments:
                title += f" ({self._nested(' '.join(directive.arguments), where)})"
            return "#" * self.exercise_level + " " + title
        if name == "exercise-end":
            if not self.exercise_open:
                raise EditionError(f"{where}: exercise-end without exercise-start")
            self.exercise_open, note, self.prompt_note = False, self.prompt_note, False
            return RUN_NOTE if note else None
        if name == "solution-start":
            if self.solution is not None or self.exercise_open:
                raise EditionError(f"{where}: a solution starts inside an exercise or solution")
            label = directive.arguments[0] if directive.arguments else ""
            target = self.book.labels.get(label) or self.exercise
            self.solution = label or "(no label)"
            title = f"Solution to {target.title}" if target else "Solution"
            return "#" * min(self.exercise_level + 1, 6) + f" {title}" if self.solutions else None
        if name == "solution-end":
            if self.solution is None:
                raise EditionError(f"{where}: solution-end without solution-start")
            self.solution = self.exercise = None
            return None
        body = self._nested("\n".join(directive.body), where)  # {tip}
        return "\n".join(["> **Tip**", ">"] + [f"> {line}".rstrip() for line in body.split("\n")])

    def _nested(self, body: str, where: str) -> str:
        """Markdown inside a directive, converted the same way."""
        marked = self.run_marked
        text = self._blocks(body, where + " (inside a directive)")
        self.run_marked = self.run_marked or marked
        return _collapse_blank(text)


def _explicit(content: str) -> tuple[str | None, str]:
    """``text <target>`` -> (text, target); ``target`` -> (None, target)."""
    match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content.strip(), flags=re.DOTALL)
    if match and match.group(1):
        return match.group(1), match.group(2).strip()
    return None, content.strip()


def _collapse_blank(text: str) -> str:
    """At most one blank line in a row (blocks that went leave gaps), none at the ends."""
    out: list[str] = []
    for line in text.split("\n"):
        if line.strip() or not out or out[-1].strip():
            out.append(line)
    return "\n".join(out).strip("\n")
