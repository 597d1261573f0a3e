"""Studies too slow for a chapter: each script trains what a chapter reports and stores the
result, with the machine and versions that produced it, in ``lenet_utils/assets/``.

Run one with ``python -m experiments.<name>``; the chapters load the stored record with
``lenet_utils.load_study(name)``.
"""
