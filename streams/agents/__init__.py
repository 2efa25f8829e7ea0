"""faust adapters: each agent reads records, calls the pure decisions, writes what they say.

Nothing in here decides anything; see ``streams.batch`` and ``streams.decide``.
"""
