"""The development commands of the ``callstream`` CLI: dev, demo, emulator and kafka."""
