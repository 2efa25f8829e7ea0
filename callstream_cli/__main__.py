"""``python -m callstream_cli`` is the same as the ``callstream`` command."""

from callstream_cli import main

main()
