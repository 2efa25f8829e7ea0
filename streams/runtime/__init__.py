"""The streams worker's engine: confluent-kafka and Kafka's own primitives, around the pure core.

* ``topology`` — which topics the worker reads and writes, checked at start;
* ``store`` — the tables of the partitions this worker owns, in memory;
* ``restore`` — a partition's tables read back from their compacted changelogs;
* ``checkpoint`` — the order that loses nothing: outputs, then state, then offsets;
* ``join`` — the poll loop over the co-partitioned topics, owning the rebalance callbacks;
* ``sources`` — the stateless loop that routes enterprise topics into the worker's own;
* ``toolruns`` — the tool runner, an asyncio consumer of ``streams.tool-runs``;
* ``worker`` — one process: the three loops, probes, signals, a clean exit.

The decisions live in ``streams.batch`` and below; nothing here decides what a
record means.
"""
