"""The pipeline on this machine (``callstream dev``, ``demo``): set-up, demo and demo backends."""
