"""Small things the chapters need from their notebook environment.

:func:`glue` stores a value computed in a notebook so that the book's prose can quote it
(``{glue:text}`name``` in MyST), instead of typing a number that could drift from the code.
It uses myst-nb's ``glue`` when myst-nb is installed (building the book, running the tests);
elsewhere, in Colab for one, it does nothing, because there is no book to quote into.
"""

from __future__ import annotations

from typing import Any

__all__ = ["glue"]


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Record ``value`` under ``name`` for the book's prose, and return it."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=display)
    return value
