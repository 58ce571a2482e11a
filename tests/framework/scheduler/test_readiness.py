"""framework.scheduler.readiness: the URL a readiness check probes."""

from framework.model import normalize_app
from framework.scheduler.readiness import readiness_url


def test_readiness_url_uses_the_named_port() -> None:
    app = normalize_app({"id": "/web", "cmd": "serve", "portDefinitions": [{"port": 0, "name": "admin"},
                                                                          {"port": 0, "name": "http-api"}],
                         "readinessChecks": [{"path": "/ready", "portName": "http-api"}]})
    task = {"host": "10.0.0.5", "ports": [31000, 31001]}
    assert readiness_url(app, task) == "http://10.0.0.5:31001/ready"
    assert readiness_url(app, {"host": "10.0.0.5", "ports": [31000]}) is None
