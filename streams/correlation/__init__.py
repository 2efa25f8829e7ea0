"""Correlation: how an event without a call id finds the live call it concerns.

* ``keys`` — correlation keys (phone numbers in E.164, customer ids), namespaced;
* ``learn`` — what a call learns of its own keys, and the index updates that follow;
* ``route`` — a source event's way through the index (its keys, hop and phase);
* ``index`` — the index entry stored per key: calls under it, events waiting there;
* ``sources`` — the first, stateless hop: a source topic's record to its call or key;
* ``resolve`` — the decisions at a key: apply an index update, resolve or hold an
  event, expire what waited too long.

A foreign-key join done with Kafka re-partitioning: an index entry lives on the
partition that owns its key, and an event travels there (``streams.by-key``)
and on to its call's partition (``streams.by-call``). Pure: no I/O here.
"""
