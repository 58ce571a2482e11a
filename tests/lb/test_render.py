"""The rendered config: HAProxy accepts it, and the fragments users rely on are there."""

import subprocess

from lb.model import Routing
from lb.render import Edge, render
from lb.services import Options, app_routes, route
from tests.lb.apps import app, task

EDGE = Edge(bind_addr="127.0.0.1", http_port=28080, https_port=28443, appid_port=28091, stats_port=28090,
            admin_port=28099)


def rendered(*apps, edge=EDGE, options=Options(bind_addr="127.0.0.1")):
    return render(route({a["id"]: app_routes(a, options, str) for a in apps}), edge)


def haproxy_accepts(text, tmp_path):
    config = tmp_path / "haproxy.cfg"
    config.write_text(text)
    result = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr


def test_vhost_path_and_service_port_routing(tmp_path):
    text = rendered(app("/shop/web", 10001, task("a", 31001), task("b", 31002, state="TASK_KILLING"),
                        vhost="shop.test,*.shop.test", path="/api", sticky="true", balance="leastconn"),
                    app("/shop/db", 10002, task("c", 31003)))
    haproxy_accepts(text, tmp_path)
    assert "acl host_shop_web_10001 req.hdr(host),field(1,:),lower -m str shop.test\n" in text
    assert "acl host_shop_web_10001 req.hdr(host),field(1,:),lower -m end .shop.test\n" in text
    assert "use_backend shop_web_10001 if host_shop_web_10001 path_shop_web_10001\n" in text
    assert "frontend shop_db_10002\n    bind 127.0.0.1:10002\n    mode tcp\n" in text
    assert "    server 127_0_0_1_31002 127.0.0.1:31002 weight 0 cookie 127_0_0_1_31002\n" in text
    assert "balance leastconn" in text
    assert "    http-request disable-l7-retry if !METH_GET !METH_HEAD\n" in text  # only safe requests are retried
    assert "use_backend shop_web_10001 if { req.hdr(x-marathon-app-id) -m str /shop/web }" in text


def test_longer_paths_come_first():
    text = rendered(app("/root", 10001, vhost="a.test", path="/"), app("/api", 10002, vhost="a.test", path="/api/v2"))
    assert text.index("use_backend api_10002") < text.index("use_backend root_10001")


def test_stats_listener_and_admin_pages(tmp_path):
    text = rendered()
    haproxy_accepts(text, tmp_path)
    assert "listen stats\n    bind 127.0.0.1:28090\n" in text and "monitor-uri /_haproxy_health_check" in text
    assert "server lb 127.0.0.1:28099" in text


def test_https_frontend_only_with_certificates():
    assert "marathon_https_in" not in rendered(app("/w", 10001, vhost="w.test"))
    with_certs = render(Routing(()), Edge(ssl_certs=("/etc/ssl/edge.pem",)))
    assert "bind *:443 ssl crt /etc/ssl/edge.pem" in with_certs
    assert "marathon_http_in" not in render(Routing(()), Edge(http_port=None, https_port=None))


def test_no_label_value_adds_a_line():
    hostile = {"vhost": "a.test\nlisten evil", "path": "/x\nlisten evil", "bind_options": "x\nlisten evil",
               "balance": "first\nlisten evil"}
    text = rendered(*[app(f"/app{i}", 10001 + i, **{key: value}) for i, (key, value) in enumerate(hostile.items())])
    assert "evil" not in text


def test_templates_when_allowed(tmp_path):
    templated = app("/t", 10001, task("a", 31001),
                    backend_head="backend {backend}\n    balance first\n    mode {mode}\n    timeout server 5s\n")
    text = rendered(templated, options=Options(allow_templates=True, bind_addr="127.0.0.1"))
    haproxy_accepts(text, tmp_path)
    assert "backend t_10001\n    balance first\n    mode tcp\n    timeout server 5s\n" in text
    assert "timeout server 5s" not in rendered(templated)
