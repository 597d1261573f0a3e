"""nbgrader configuration of a course built from this module's chapters.

``python -m tools.grading nbgrader --out COURSE`` copies this file to COURSE/nbgrader_config.py
(an existing one is kept). Change the course id to yours; the rest is what the chapters need.
See the Instructor guide, "Assign with nbgrader".
"""

c = get_config()  # noqa: F821 - nbgrader defines get_config when it reads this file

c.CourseDirectory.course_id = "lenet-book"

# An unanswered exercise is a comment, not nbgrader's default `raise NotImplementedError()`:
# a student's "Run all" then reaches every exercise, and every later cell that does not use
# the missing answer still runs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Seconds one cell may run when nbgrader executes a notebook (autograde, validate). nbgrader's
# default, 30, interrupts the chapters' training cells (the reference run: about a minute on
# two CPU cores); a slow shared machine takes several times longer. The whole notebook has no
# limit. To grade faster, cap every training at one epoch with LENET_MAX_EPOCHS=1: no
# autograded test depends on how long a model trained.
c.ExecutePreprocessor.timeout = 1200
