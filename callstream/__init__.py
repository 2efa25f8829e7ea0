"""callstream: live voice-AI calls joined to an enterprise Kafka event bus.

The shared package: settings, topic names, record schemas, Kafka client
configuration, logging, the CLI and the local-development tools. The three
services live in the sibling packages ``ingress``, ``streams`` and ``injector``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callstream")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
