"""Sandboxed Jinja2 templates from the YAML config, compiled once and rendered per input.

Event data only ever enters a template as *variables*, never as template
source, so ``{{ ... }}`` inside a CRM field renders as those characters and
nothing more. Every value a template prints is data: it is quoted inline,
«like this», neutralised as data-block lines are (``quote.neutralise``), so
the template's own text is the only operator text in its output. The
environment is Jinja2's ``ImmutableSandboxedEnvironment``
(no attribute access to internals, no mutation of the data), undefined names
are errors (``StrictUndefined``: a template that names a field the event does
not have fails loudly; ``| default(...)`` is the way to make a field optional),
and the output is bounded. Any failure is a ``RenderError`` for that one input:
the caller dead-letters it and carries on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from streams.errors import RenderError
from streams.render.quote import neutralise

MAX_RENDERED_CHARS = 8000


def _quoted(value: Any) -> str:
    """How a template prints any value: neutralised, on one line, between « and »."""
    return f"«{neutralise(str(value))}»"


class Templates:
    """Compiles each distinct template source once; renders it with data as variables."""

    def __init__(self) -> None:
        self._env = ImmutableSandboxedEnvironment(
            undefined=StrictUndefined,
            autoescape=False,  # plain text for a language model, not HTML
            keep_trailing_newline=False,
            finalize=_quoted,
        )
        self._compiled: dict[str, Template] = {}

    def _compile(self, source: str) -> Template:
        template = self._compiled.get(source)
        if template is None:
            try:
                template = self._env.from_string(source)
            except TemplateError as exc:
                raise RenderError(f"template does not compile: {exc}") from exc
            self._compiled[source] = template
        return template

    def render(self, source: str, variables: Mapping[str, Any]) -> str:
        """``source`` rendered with ``variables``; ``RenderError`` says what went wrong."""
        template = self._compile(source)
        try:
            text = template.render(**variables)
        except TemplateError as exc:  # includes the sandbox's SecurityError
            raise RenderError(f"template failed: {type(exc).__name__}: {exc}") from exc
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            # Filters applied to the wrong type of data (``int('x')``, ``1/0``) fail
            # this way; it is the template's fault for this input, not the worker's.
            name = type(exc).__name__
            raise RenderError(f"template failed on this input: {name}: {exc}") from exc
        text = text.strip()
        if len(text) > MAX_RENDERED_CHARS:
            text = text[: MAX_RENDERED_CHARS - 1] + "…"
        return text
