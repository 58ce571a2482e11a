"""Labels are untrusted: each bad value raises a LabelError naming the label; good ones parse to types."""

import pytest

from lb.labels import LabelError, parse


def test_port_labels_parse_into_types():
    parsed = parse({"HAPROXY_GROUP": "external,internal", "HAPROXY_0_VHOST": "Web.Example.com, *.apps.test",
                    "HAPROXY_0_PATH": "/api/v1", "HAPROXY_0_STICKY": "true", "HAPROXY_1_PORT": "8443",
                    "HAPROXY_1_BIND_ADDR": "127.0.0.1", "HAPROXY_1_BACKEND_WEIGHT": "-3", "HAPROXY_1_MODE": "TCP"})
    assert parsed.groups == ("external", "internal")
    web, other = parsed.port(0), parsed.port(1)
    assert web.vhosts == ("web.example.com", "*.apps.test") and web.path == "/api/v1" and web.sticky
    assert (other.port, other.bind_addr, other.backend_weight, other.mode) == (8443, "127.0.0.1", -3, "tcp")
    assert parsed.port(7).balance == "roundrobin"


@pytest.mark.parametrize(("label", "value"), [
    ("HAPROXY_0_VHOST", "web.test\n    acl evil always_true"),
    ("HAPROXY_0_VHOST", "web_test.example.com"),
    ("HAPROXY_0_VHOST", "-web.test"),
    ("HAPROXY_0_PATH", "api"),
    ("HAPROXY_0_PATH", "/a b"),
    ("HAPROXY_0_PATH", "/a#comment"),
    ("HAPROXY_0_MODE", "udp"),
    ("HAPROXY_0_BALANCE", "roundrobin\nserver x 1.2.3.4:80"),
    ("HAPROXY_0_BIND_ADDR", "localhost"),
    ("HAPROXY_0_BIND_OPTIONS", "ssl crt '/x'"),
    ("HAPROXY_0_PORT", "70000"),
    ("HAPROXY_0_STICKY", "maybe"),
    ("HAPROXY_GROUP", "a b"),
    ("HAPROXY_0_SOMETHING_ELSE", "tab\there"),
])
def test_a_bad_value_names_its_label(label, value):
    with pytest.raises(LabelError) as raised:
        parse({label: value})
    assert raised.value.label == label


def test_templates_are_ignored_unless_allowed_and_must_format():
    labels = {"HAPROXY_0_BACKEND_HEAD": "backend {backend}\n  balance first\n"}
    assert parse(labels).port(0).templates == ()
    allowed = parse(labels, allow_templates=True).port(0)
    assert allowed.templates == (("BACKEND_HEAD", labels["HAPROXY_0_BACKEND_HEAD"]),)
    with pytest.raises(LabelError):
        parse({"HAPROXY_0_BACKEND_HEAD": "backend {nosuchfield}\n"}, allow_templates=True)
