"""Judging follow-ups: every undelivered item of a followed-up source has exactly one.

An item is *due* a follow-up when it ended ``call_ended`` — at the injector
(its outcome), or at the streams worker with a dead letter of a record that
is a result or an event (a tool *request* dead-lettered after the hangup
never ran, so no result exists to follow up) — and its channel (the ledger's) is one the
configuration follows up (tool results and fraud alerts by default). It is
*followed* by the distinct ``followup_id``s whose records carry its token
(records with one id are one follow-up: consumers keep the newest). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FOLLOWED_CHANNELS = frozenset({"tool", "fraud"})
"""The chaos channels whose items the default configuration follows up."""


@dataclass(frozen=True)
class FollowupTally:
    """What the judge found."""

    due: frozenset[str]
    lost: frozenset[str]
    duplicated: frozenset[str]


def judge_followups(
    ended: Iterable[str],
    followed: Mapping[str, frozenset[str] | set[str]],
    channel_of: Mapping[str, str],
    channels: frozenset[str] = FOLLOWED_CHANNELS,
) -> FollowupTally:
    """Lost: due with no follow-up; duplicated: due with more than one distinct follow-up."""
    due = frozenset(token for token in ended if channel_of.get(token) in channels)
    lost = frozenset(token for token in due if not followed.get(token))
    duplicated = frozenset(token for token in due if len(followed.get(token, ())) > 1)
    return FollowupTally(due, lost, duplicated)
