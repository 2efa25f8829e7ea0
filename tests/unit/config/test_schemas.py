"""A source's format and Schema Registry: refused at load when they do not fit together."""

from __future__ import annotations

import pytest

from callstream.config import parse_config
from callstream.errors import ConfigError


def _source(extra: str) -> str:
    return f"sources:\n  crm:\n    topic: crm.events\n{extra}"


def _avro(registry: str) -> str:
    return f"    format: avro\n    schema_registry: {{{registry}}}\n"


@pytest.mark.parametrize(
    ("extra", "fmt"),
    [
        ("", "json"),
        ("    format: avro\n    schema_registry: {url: 'http://127.0.0.1:8081'}\n", "avro"),
        ("    format: protobuf\n    schema_registry: {url: 'https://a:1,https://b:1'}\n",
         "protobuf"),
        ("    format: json_schema\n    schema_registry: {url: 'mock://tests'}\n", "json_schema"),
    ],
)  # fmt: skip
def test_formats_that_fit_their_registry_load(extra: str, fmt: str) -> None:
    """json needs no registry; the schema'd formats name one (several URLs allowed)."""
    assert parse_config(_source(extra), origin="t").sources["crm"].format == fmt


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("    format: avro\n", "format avro needs schema_registry"),
        ("    schema_registry: {url: 'http://a:1'}\n", "format json reads plain JSON"),
        ("    format: xml\n", "sources.crm.format"),
        (_avro("url: 'http://u:pw@a:1'"), "credentials do not belong in the URL"),
        (_avro("url: 'ftp://a:1'"), "not an http(s):// URL"),
        (_avro("url: 'http://a:1', basic_auth_env: 'not a name'"),
         "basic_auth_env must be an environment variable name"),
        (_avro("url: 'http://a:1', retry_initial_s: 5, retry_max_s: 1"),
         "retry_initial_s is longer than retry_max_s"),
        (_avro("url: 'http://a:1', password: x"), "schema_registry.password"),
    ],
)  # fmt: skip
def test_misfits_are_refused_naming_the_field(extra: str, says: str) -> None:
    """Each misconfiguration is one line naming the field; a password never goes in the file."""
    with pytest.raises(ConfigError) as raised:
        parse_config(_source(extra), origin="t")
    assert says in str(raised.value)
    assert "pw@" not in str(raised.value)  # the URL with its password is never echoed
