"""A board fed with synthetic calls (``console.testing``), for the view and app tests."""

from __future__ import annotations

from callstream.config import ConsoleConfig
from callstream.records import FieldMap
from console.testing import Recorder, call_records
from console.view.board import Board
from console.view.fold import Rules, fold


def rules_for(config: ConsoleConfig) -> Rules:
    return Rules(console=config, fields={"crm": FieldMap()})


def board_with(
    config: ConsoleConfig, *calls: str, crm_note: str = "prefers email", ended: bool = True
) -> Board:
    """A board that read every record of each call in ``calls``."""
    board = Board(config)
    recorder = Recorder()
    for call in calls:
        for raw in call_records(recorder, call, crm_note=crm_note, ended=ended):
            fold(board, raw, rules_for(config))
    return board
