"""Benchmark harnesses, one per service: ``python -m bench.<name>``."""
