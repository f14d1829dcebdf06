"""Reproducible benchmarks of Zhike; `benchmarks/run_all.py` runs them all."""
