"""Test helpers for callstream's own tests and benchmarks (devkit: never in production).

Like ``structlog.testing``: importing this never starts anything; each helper
is a context manager or a plain function that cleans up after itself.
"""
