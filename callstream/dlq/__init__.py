"""Dead-letter replay: find dead-lettered records and send them back where they came from."""

from callstream.dlq.filters import ReplayFilter
from callstream.dlq.replay import DeadRecord, ReplaySummary, replay, scan

__all__ = ["DeadRecord", "ReplayFilter", "ReplaySummary", "replay", "scan"]
