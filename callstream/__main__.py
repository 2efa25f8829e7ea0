"""``python -m callstream`` is the same as the ``callstream`` command."""

from callstream.cli import main

main()
