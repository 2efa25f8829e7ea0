"""Local-development tools: the demo backends, the process supervisor behind ``callstream dev``."""
