"""callstream's workshop: what develops, demonstrates, tests and measures it; never in production.

The local Kafka broker (``localkafka``), the call-control emulator
(``emulator``), ``callstream dev`` / ``demo`` and the demo backends (``dev``),
the fault suite (``chaos``), test helpers (``testing``) and the CLI commands
that need them (``commands``). It imports callstream and its services;
nothing in them imports it.
"""
