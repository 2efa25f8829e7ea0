"""The YAML config: defaults load, and every mistake is reported with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from callstream.config import AppConfig, load_config, parse_config
from callstream.errors import ConfigError


def test_default_config_declares_the_three_demo_sources() -> None:
    """With no file, the packaged default routes CRM, fraud and ticketing events."""
    config = load_config(None)
    assert set(config.sources) == {"crm", "fraud", "ticketing"}
    assert config.tools == {}
    assert config.sources["fraud"].rule_for("fraud.alert").speaks_now(default=False) is True
    assert config.sources["crm"].rule_for("profile.updated").speaks_now(default=True) is False


def test_event_types_without_a_rule_are_not_injected_by_default() -> None:
    """An unlisted event type falls to the source default, which does not inject."""
    assert load_config(None).sources["crm"].rule_for("something.else").inject is False


def test_empty_file_means_all_defaults() -> None:
    """An empty YAML document is a valid config with every default."""
    assert parse_config("", origin="t") == AppConfig()


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("ingress: [1, 2", "not valid YAML at line 1"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("ingress:\n  max_body_bytes: -1\n", "ingress.max_body_bytes"),
        ("ingress:\n  max_queue_wait_s: 0\n", "ingress.max_queue_wait_s"),
        ("ingress:\n  max_in_flight_body_bytes: 1000\n", "max_in_flight_body_bytes .1000."),
        ("ingres:\n  workers: 2\n", "ingres"),
        ("tools:\n  bad/name: {}\n", "names are 1-64"),
        ("tools:\n  t:\n    backend: {url: not-a-url}\n", "tools.t.backend.url"),
        ("tools:\n  t:\n    message: {template: '{{ oops '}\n", "template does not compile"),
        ("sources:\n  a: {topic: x}\n  b: {topic: x}\n", "both read topic 'x'"),
        ("sources:\n  a: {topic: 'bad topic'}\n", "sources.a.topic"),
        ("sources:\n  a: {topic: t, token_env: 'lower'}\n", "token_env"),
        ("injector:\n  retry: {initial_s: 20, max_backoff_s: 1}\n", "initial_s must not exceed"),
        ("sources:\n  a:\n    topic: t\n    events:\n      x: {role: boss}\n", "role"),
        (
            "sources:\n  a:\n    topic: t\n    events:\n      x: {role: user}\n",
            r"sources\.a\.events\.x\.role: 'user' is not among .*guardrails\.roles\.sources",
        ),
        ("tools:\n  t:\n    message: {role: developer}\n", r"tools\.t\.message\.role"),
        ("guardrails:\n  roles: {sources: [system, tool]}\n", r"roles\.sources: 'tool' needs"),
        ("guardrails:\n  roles: {nosuch: [system]}\n", r"guardrails\.roles\.nosuch"),
        ("guardrails:\n  max_message_chars: 10\n", r"guardrails\.max_message_chars"),
        ("guardrails:\n  rate: {window_s: 0}\n", r"guardrails\.rate\.window_s"),
        ("guardrails:\n  supervisor_speak: [loud]\n", r"guardrails\.supervisor_speak\.0"),
        (
            "tools:\n  t:\n    message: {speak: now, trigger_response: false}\n",
            r"tools\.t\.message.*speak: now contradicts trigger_response: false",
        ),
    ],
)
def test_mistakes_name_their_place(text: str, mentions: str) -> None:
    """Each error message names the field (or line) at fault."""
    with pytest.raises(ConfigError, match=mentions):
        parse_config(text, origin="CALLSTREAM_CONFIG=test.yaml")


def test_all_errors_are_reported_at_once() -> None:
    """Two bad fields give two lines, not one fix-rerun cycle each."""
    with pytest.raises(ConfigError) as caught:
        parse_config("ingress: {workers: 0, ack_timeout_s: 0}\n", origin="f")
    assert "ingress.workers" in str(caught.value)
    assert "ingress.ack_timeout_s" in str(caught.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A config path that does not exist says so, with the variable's name."""
    with pytest.raises(ConfigError, match=r"CALLSTREAM_CONFIG=.*no such file"):
        load_config(tmp_path / "absent.yaml")


def test_file_is_read(tmp_path: Path) -> None:
    """A config file's values replace the defaults."""
    path = tmp_path / "c.yaml"
    path.write_text("ingress:\n  port: 9000\ntools:\n  lookup: {}\n")
    config = load_config(path)
    assert config.ingress.port == 9000
    assert list(config.tools) == ["lookup"]


def test_a_source_may_be_allowed_more_roles_by_name() -> None:
    """guardrails.roles.<source> widens one source's roles; the other defaults stay."""
    config = parse_config(
        "guardrails:\n  roles: {crm: [system, developer]}\n"
        "sources:\n  crm:\n    topic: t\n    events:\n      x: {role: developer}\n",
        origin="t",
    )
    assert config.guardrails.roles_for("crm") == ["system", "developer"]
    assert config.guardrails.roles_for("supervisor") == ["system", "developer"]
    assert config.guardrails.roles_for("fraud") == ["system"]
