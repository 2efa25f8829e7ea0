"""faust's table recovery, finishing a rebalance without losing records.

When faust (faust-streaming 0.15) completes a rebalance it resumes the stream
partitions, *then* seeks them to their committed offsets, *then* resumes flow
control, which empties every stream's queue. While the seek is awaited the
fetcher already delivers records from the resumed partitions and moves faust's
read offset past them; the queue is then emptied, and when the same records
are fetched again after the seek faust drops them as already read ("DROPPED
MESSAGE ROFF" in its dev log). A record that was still in a queue is lost:
the chaos suite's streams-kill scenario lost records produced while a
restarted worker was recovering.

``SeekFirstRecovery.on_recovery_completed`` does the same steps in a safe
order: seek while the stream partitions are still paused, then resume them,
empty the queues and start the flow with no ``await`` in between, so nothing
can be delivered (and dropped) before the seek or emptied after it. faust
builds its ``Recovery`` in ``TableManager.recovery``; ``TableManager`` here
builds this one instead and is handed to faust through its ``TableManager``
setting (``streams.app``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.tables.manager import TableManager as FaustTableManager
from faust.tables.recovery import Recovery


class SeekFirstRecovery(Recovery):
    """faust's ``Recovery`` whose completion seeks the stream partitions before resuming them."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        """Call when active table recovery is completed (replaces faust's; see the module)."""
        app: Any = self.app
        consumer = app.consumer
        self.log.info("Restore complete!")
        await app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [
            asyncio.ensure_future(
                table.on_recovery_completed(
                    self.actives_for_table[table], self.standbys_for_table[table]
                )
            )
            for table in self.tables.values()
        ]
        if callbacks:
            await asyncio.wait(callbacks)
        if app.consumer_generation_id != generation_id:
            self.log.warning("Recovery rebalancing again")
            return
        assignment = consumer.assignment()
        if assignment:
            self.log.info("Seek stream partitions to committed offsets (still paused).")
            await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
            if app.consumer_generation_id != generation_id:
                self.log.warning("Recovery rebalancing again")
                return
        # From here to the flow resuming there must be no await: see the module.
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
        self.completed.set()
        app.flow_control.resume()
        consumer.resume_flow()
        await app._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        app.on_rebalance_end()
        self.log.info("Worker ready")


class TableManager(FaustTableManager):
    """faust's table manager, recovering with ``SeekFirstRecovery``."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SeekFirstRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
