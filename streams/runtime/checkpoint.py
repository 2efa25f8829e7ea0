"""The order in which a batch reaches Kafka: a crash can repeat an effect, never lose one.

For each batch, in this order:

1. its outputs (injections, dead letters, internal hops) are produced;
2. the producer is flushed: every output is acknowledged by all in-sync
   replicas (and so is every changelog record of earlier batches);
3. the input offsets of earlier batches, whose changelog records step 2 has
   just seen acknowledged, become committable (and are committed once
   ``commit_interval_s`` has passed since the last commit: a commit per batch
   would be an OffsetCommit request per record at moderate rates);
4. its changelog records (the new state of every key it changed) are
   produced, without waiting;
5. its input offsets are held until those records, and every earlier
   batch's, are acknowledged.

So after a crash, wherever it falls:

* offsets committed ⇒ outputs and state are in Kafka: nothing is read again;
* state in the changelog ⇒ its outputs were already acknowledged (step 2
  came first); the input is read again and recognised as a duplicate;
* outputs in Kafka, state not ⇒ the input is read again and decided again
  against the older state, yielding the same records with the same ids,
  which the injector's ledger and the remote's ``command_id`` absorb.

A record the producer cannot deliver raises ``ProduceFailed``: the worker
stops rather than commit past an output that is not in Kafka.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import structlog
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from callstream.errors import CallstreamError
from streams.wire import OutRecord

log = structlog.get_logger(__name__)

Offsets = dict[tuple[str, int], int]
"""(topic, partition) → the next offset to read."""


class Checkpointing(Protocol):
    """What a loop asks of its checkpoint (``Checkpoint`` or ``TransactionalCheckpoint``)."""

    def write(
        self, outputs: Sequence[OutRecord], changelog: Sequence[OutRecord], offsets: Offsets
    ) -> None: ...

    def poll(self) -> None: ...

    def settle(self, where: Iterable[tuple[str, int]] | None = None) -> None: ...

    def forget(self, where: Iterable[tuple[str, int]]) -> None: ...


class ProduceFailed(CallstreamError):
    """Kafka did not acknowledge a record; nothing after it may be committed."""


class Commit(Protocol):
    """Commits input offsets (the consumer, seen as the one call the checkpoint needs)."""

    def __call__(self, offsets: Offsets, *, asynchronous: bool) -> None: ...


def consumer_commit(consumer: Consumer) -> Commit:
    """``Commit`` through ``consumer``; a failed commit is logged, the next one carries on."""

    def commit(offsets: Offsets, *, asynchronous: bool) -> None:
        tps = [TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())]
        try:
            if asynchronous:
                consumer.commit(offsets=tps, asynchronous=True)
            else:
                consumer.commit(offsets=tps, asynchronous=False)
        except KafkaException as exc:
            # Not fatal: a later commit carries a later offset, and a restart reads a
            # little again, which the deterministic ids absorb.
            log.warning("offset_commit_failed", error=str(exc), partitions=len(tps))

    return commit


class _StateWrite:
    """One batch's changelog records on their way, and the offsets that wait for them."""

    __slots__ = ("offsets", "remaining")

    def __init__(self, offsets: Offsets, remaining: int) -> None:
        self.offsets = offsets
        self.remaining = remaining


class Checkpoint:
    """Produces a batch's outputs and changelog in the safe order, and commits its offsets.

    The changelog may go through a producer of its own (``state_producer``) with a
    longer linger: nothing waits on it but the commit, so its records gather into
    few requests instead of one per batch beside each batch's outputs.
    """

    def __init__(
        self,
        producer: Producer,
        commit: Commit,
        *,
        flush_timeout_s: float,
        state_producer: Producer | None = None,
        commit_interval_s: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outputs = producer
        self._state = producer if state_producer is None else state_producer
        self._commit = commit
        self._flush_timeout_s = flush_timeout_s
        self._commit_interval_s = commit_interval_s
        self._monotonic = monotonic
        self._next_commit = monotonic()
        self._failure: KafkaError | None = None
        self._writes: deque[_StateWrite] = deque()
        """Batches whose changelog records are not all acknowledged yet, in batch order."""
        self._committable: Offsets = {}
        """Offsets whose batches are wholly in Kafka, waiting for the commit interval."""

    def write(
        self, outputs: Sequence[OutRecord], changelog: Sequence[OutRecord], offsets: Offsets
    ) -> None:
        """Steps 1 to 5 for one batch; returns once its outputs are acknowledged."""
        self.produce(self._outputs, outputs)
        self._flush(self._outputs)
        self._promote()
        self._commit_due()
        write = _StateWrite(dict(offsets), len(changelog))
        self._writes.append(write)
        self.produce(self._state, changelog, write)

    def poll(self) -> None:
        """Serve acknowledgements; commit the offsets whose batches are wholly in Kafka."""
        self._outputs.poll(0)
        if self._state is not self._outputs:
            self._state.poll(0)
        self.raise_failure()
        self._promote()
        self._commit_due()

    def settle(self, where: Iterable[tuple[str, int]] | None = None) -> None:
        """Flush everything and commit synchronously (every partition, or those ``where``)."""
        self._flush(self._outputs)
        if self._state is not self._outputs:
            self._flush(self._state)
        self._promote()
        self._commit_now(asynchronous=False, where=where)

    def forget(self, where: Iterable[tuple[str, int]]) -> None:
        """Drop the offsets of the partitions ``where`` (lost: not ours to commit)."""
        lost = set(where)
        for write in self._writes:
            write.offsets = {w: o for w, o in write.offsets.items() if w not in lost}
        self._committable = {w: o for w, o in self._committable.items() if w not in lost}

    def produce(
        self, producer: Producer, records: Sequence[OutRecord], write: _StateWrite | None = None
    ) -> None:
        """Hand ``records`` to ``producer`` in order (waiting while its local queue is full);
        each acknowledgement counts down ``write``'s records, if given."""

        def delivered(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                if self._failure is None:
                    self._failure = error
            elif write is not None:
                write.remaining -= 1

        for record in records:
            while True:
                try:
                    producer.produce(
                        record.topic,
                        record.value,
                        record.key,
                        partition=-1 if record.partition is None else record.partition,
                        headers=list(record.headers) or None,
                        on_delivery=delivered,
                    )
                except BufferError:
                    # The local queue is full: let librdkafka send, then try again.
                    producer.poll(0.05)
                    self.raise_failure()
                    continue
                break

    def raise_failure(self) -> None:
        """Raise ``ProduceFailed`` if Kafka refused any record so far."""
        if self._failure is not None:
            error = self._failure
            raise ProduceFailed(f"Kafka refused a record: {error.str()} ({error.name()})")

    # -- internals ------------------------------------------------------------

    def _flush(self, producer: Producer) -> None:
        left = producer.flush(self._flush_timeout_s)
        self.raise_failure()
        if left:
            raise ProduceFailed(
                f"{left} records not acknowledged by Kafka within {self._flush_timeout_s:g} s"
            )

    def _promote(self) -> None:
        """Batches whose changelog is wholly acknowledged, oldest first: their offsets are due."""
        while self._writes and self._writes[0].remaining <= 0:
            for where, offset in self._writes.popleft().offsets.items():
                self._committable[where] = max(offset, self._committable.get(where, 0))

    def _commit_due(self) -> None:
        if self._committable and self._monotonic() >= self._next_commit:
            self._commit_now(asynchronous=True)

    def _commit_now(
        self, *, asynchronous: bool, where: Iterable[tuple[str, int]] | None = None
    ) -> None:
        chosen = None if where is None else set(where)
        due = {w: o for w, o in self._committable.items() if chosen is None or w in chosen}
        if not due:
            return
        for w in due:
            del self._committable[w]
        self._commit(due, asynchronous=asynchronous)
        if chosen is None:
            self._next_commit = self._monotonic() + self._commit_interval_s


class TransactionalCheckpoint:
    """A batch's outputs, changelog and offsets committed atomically in one Kafka transaction.

    Consumers reading ``read_committed`` (the injector, the join's own internal
    topics, the restore) see a batch's records only once its transaction is
    committed, together with its state and its input offsets, so a crash
    repeats nothing. The price is a commit round trip per batch before any of
    its outputs is visible (the README's "Delivery guarantee" has the figures).
    A transaction that fails raises ``ProduceFailed``; the worker stops and its
    successor reads the batch again from the last committed offsets.
    """

    def __init__(
        self,
        producer: Producer,
        consumer: Consumer,
        *,
        timeout_s: float,
    ) -> None:
        self._producer = producer
        self._consumer = consumer
        self._timeout_s = timeout_s
        self._delegate = Checkpoint(producer, _no_commit, flush_timeout_s=timeout_s)
        try:
            producer.init_transactions(timeout_s)
        except KafkaException as exc:
            raise ProduceFailed(f"cannot start transactions: {exc}") from exc

    def write(
        self, outputs: Sequence[OutRecord], changelog: Sequence[OutRecord], offsets: Offsets
    ) -> None:
        """Outputs, changelog and offsets of one batch, all or nothing."""
        try:
            self._producer.begin_transaction()
            self._delegate.produce(self._producer, outputs)
            self._delegate.produce(self._producer, changelog)
            if offsets:
                tps = [TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())]
                self._producer.send_offsets_to_transaction(
                    tps, self._consumer.consumer_group_metadata(), self._timeout_s
                )
            self._producer.commit_transaction(self._timeout_s)
        except KafkaException as exc:
            raise ProduceFailed(f"the batch's transaction failed: {exc}") from exc
        self._delegate.raise_failure()

    def poll(self) -> None:
        self._producer.poll(0)

    def settle(self, where: Iterable[tuple[str, int]] | None = None) -> None:
        """Nothing waits: every batch committed its offsets in its own transaction."""

    def forget(self, where: Iterable[tuple[str, int]]) -> None:
        """Nothing waits: an uncommitted transaction is aborted by the broker, not by us."""


def _no_commit(offsets: Offsets, *, asynchronous: bool) -> None:
    raise AssertionError("a transactional checkpoint commits offsets in the transaction")
