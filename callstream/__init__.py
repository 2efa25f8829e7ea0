"""callstream: live voice-AI calls joined to an enterprise Kafka event bus.

The ground floor every service stands on: settings, configuration, topic
names, record schemas, Kafka client configuration, logging, health, the
shared errors. It imports nothing above it: the three services live in the
sibling packages ``ingress``, ``streams`` and ``injector``, the command line
in ``callstream_cli``, and the workshop (local broker, emulator, dev stack,
fault suite) in ``devkit``, which the production image leaves out.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callstream")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
