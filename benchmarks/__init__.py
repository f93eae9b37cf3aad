"""PicStylist's benchmarks: ``run.py`` (the suite, composed of the modules here), ``e2e.py``,
``load.py``, ``fold_compare.py``, ``quality.py`` and ``queue_estimates.py`` (see the README)."""
