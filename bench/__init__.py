"""Palpa's benchmarks (run from the project directory, e.g. ``python bench/api_bench.py``)."""
