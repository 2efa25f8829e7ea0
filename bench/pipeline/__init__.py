"""The whole pipeline measured end to end: ``python -m bench`` (``make bench``).

Where ``bench.ingress``, ``bench.streams`` and ``bench.injector`` each measure
one service, this package measures what a caller hears: the time from an
event entering callstream (a record produced, a webhook POSTed) to the
remote receiving the Add Messages request, with every service running as
its own process (``devkit.dev.pipeline.LocalPipeline``), beside a floor of raw Kafka
hops and a raw HTTP request measured in the same run; the highest rate that
stays within a latency bound; callstream against a plain synchronous
webhook server of the kind the reference guide shows; the streams worker's
memory per live call and its recovery time; and CPU per delivered message.

Pure parts (plans, statistics, the step search, the report) are plain
functions with unit tests; everything that times or starts processes lives
beside them and never runs in ``make test``.
"""
