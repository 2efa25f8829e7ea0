"""Test helpers callstream ships for its own tests, its benchmarks, and its users' tests.

Like ``structlog.testing``: importing this never starts anything; each helper
is a context manager or a plain function that cleans up after itself.
"""
