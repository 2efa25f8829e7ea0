"""callstream's benchmark harness: one package per component, each ``python -m bench.<name>``."""
