"""Benchmark of the ingress: durable acknowledgements per second and their latency, and the floor.

``python -m bench.ingress`` (``--help`` for the knobs). See the README's
ingress section for what it measures, how, and the figures of the last run.
"""
