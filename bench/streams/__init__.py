"""Benchmark of the streams worker against a plain consume-and-produce floor."""
