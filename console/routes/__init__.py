"""The console's routes, one module per concern: pages, live updates and replay, login, probes."""
