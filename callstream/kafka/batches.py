"""How a poll loop takes its next batch of records from a confluent-kafka consumer.

``consumer.consume(n, timeout)`` returns only once ``n`` records arrived or the
timeout ran out, so below ``n`` records per timeout every record would wait out
the rest of it. ``take`` waits for the *first* record instead, then takes what
else is already fetched, and returns at once: an idle loop answers a lone
record in the time it takes to decide it.

A busy loop is another matter. Each batch costs the same fixed work whatever
its size (a flush that waits for the broker's acknowledgements, an offset
commit, wake-ups of librdkafka's threads), so a loop that keeps taking two or
three records at a time spends most of its CPU on that fixed work. When the
first record was not alone (records were queued behind it: the loop is not
keeping up on its own), ``take`` waits up to ``gather_s`` more for the records
already on their way, and the fixed work is paid once for all of them. A lone
record never waits.
"""

from __future__ import annotations

from confluent_kafka import Consumer, Message


def take(consumer: Consumer, *, most: int, wait_s: float, gather_s: float = 0.0) -> list[Message]:
    """The next batch: up to ``most`` records, the first waited for up to ``wait_s``.

    With ``gather_s`` > 0, a batch that found records queued behind its first one
    also waits up to ``gather_s`` for more (see the module's docstring). Records and
    error events alike are returned, in the order the consumer gave them.
    """
    first = consumer.poll(wait_s)
    if first is None:
        return []
    messages = [first, *consumer.consume(most - 1, 0)]
    if gather_s > 0 and 1 < len(messages) < most:
        messages.extend(consumer.consume(most - len(messages), gather_s))
    return messages
