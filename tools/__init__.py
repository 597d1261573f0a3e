"""Tools that build, check and transform the book's notebooks; run each as ``python -m tools.NAME``.

They stand apart from ``lenet_utils`` (the package the chapters import) and from the chapters
themselves: they execute chapters and record how (``execute``), write the generated pages
(``reproducibility``), and make the editions that learners and graders use. ``common`` holds
what they share: the repository root, the chapter list read from ``_toc.yml``, the machine
facts, and writing or checking a generated file.
"""
