"""Small things the chapters need from their notebook environment.

:func:`glue` stores a value computed in a notebook so that the book's prose can quote it
(``{glue:text}`name``` in MyST), instead of typing a number that could drift from the code.
It uses myst-nb's ``glue`` when myst-nb is installed (building the book, running the tests);
elsewhere, in Colab for one, it does nothing, because there is no book to quote into.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["glue"]


class _Text:
    """A string that displays without quotes, so that ``{glue:text}`` shows it as prose."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text)


def glue(name: str | None = None, value: Any = None, display: bool = False, **values: Any) -> None:
    """Record ``value`` under ``name`` for the book's prose, or several: ``glue(acc=0.83, n=3)``.

    NumPy scalars are stored as plain Python numbers (so that format specs such as
    ``{glue:text}`acc:.1%``` apply) and strings without quotes.
    """
    if name is not None:
        values = {name: value, **values}
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    for key, item in values.items():
        stored = item.item() if isinstance(item, np.generic) else item
        myst_glue(key, _Text(stored) if isinstance(stored, str) else stored, display=display)
