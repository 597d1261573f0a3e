"""The module's benchmark: LeNet-5 trained with plain Keras, with ``lenet_utils.train`` (with
and without its ``steps_per_execution``) and with a PyTorch peer, all with
:data:`lenet_utils.RECIPE`, in interleaved rounds, plus the book build.

* :mod:`benchmarks.run` measures (``python -m benchmarks.run``, or ``make bench``) and writes
  the record and report that the Performance appendix shows;
* :mod:`benchmarks.protocol` is the arithmetic: rounds, paired ratios, intervals, verdicts;
* :mod:`benchmarks.appendix` writes the appendix's sentences from the stored records;
* :mod:`benchmarks.worker` is one measured run, in a fresh process;
* :mod:`benchmarks.torch_peer` is the PyTorch peer (needs the ``bench`` extra).

Run them from the repository root, as modules: they import ``lenet_utils`` and ``tools`` from
there.
"""
