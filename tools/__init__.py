"""Tools that build, check and transform the book's notebooks: ``python -m tools.NAME``."""
