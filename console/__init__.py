"""``callstream console``: a read-side view of live calls, their timelines and dead letters.

It follows callstream's topics with a group-less consumer, folds the records
into a bounded in-memory view (``console.view``, pure) and serves pages over
HTTP with Server-Sent Events for live updates. It never writes to a topic,
except the dead-letter replay a replay token asks for.
"""
