"""Benchmark harnesses, one package per service: ``python -m bench.<name>``."""
