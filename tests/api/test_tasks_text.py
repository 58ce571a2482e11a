"""The text/plain task list of /v2/tasks (api.blueprints.tasks.text_lines), from a snapshot's apps and tasks."""

from types import SimpleNamespace

from api.blueprints.tasks import text_lines
from framework.model import normalize_app


def test_service_ports_pair_with_the_host_ports_of_their_own_mappings() -> None:
    mappings = [{"containerPort": 80, "servicePort": 10000},  # a container-network mapping without hostPort
                {"containerPort": 81, "hostPort": 0, "servicePort": 10001}]
    app = normalize_app({"id": "/shop/web", "networks": [{"mode": "container", "name": "overlay"}],
                         "container": {"type": "DOCKER", "docker": {"image": "nginx"}, "portMappings": mappings}})
    running = {"id": "shop_web.1", "host": "h1", "ports": [31005], "state": "TASK_RUNNING"}
    staging = {"id": "shop_web.2", "host": "h2", "ports": [31006], "state": "TASK_STAGING"}
    snap = SimpleNamespace(apps={app["id"]: app}, tasks={app["id"]: {t["id"]: t for t in (running, staging)}})
    assert text_lines(snap, [app["id"]]) == "shop_web\t10000\nshop_web\t10001\th1:31005\n"
