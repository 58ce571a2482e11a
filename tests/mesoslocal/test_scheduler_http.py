"""The scheduler endpoint at the HTTP level: exact status codes and bodies (notes C1, G1–G3, G14), RecordIO."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from mesoslocal.cluster import LocalCluster
from mesoslocal.wire import recordio

SUBSCRIBE = {"type": "SUBSCRIBE",
             "subscribe": {"framework_info": {"user": "root", "name": "raw", "failover_timeout": 100}}}


def post(cluster: LocalCluster, body: object, headers: dict | None = None, path: str = "/api/v1/scheduler"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return requests.post(f"http://{cluster.master_url}{path}", data=data,
                         headers={"Content-Type": "application/json", **(headers or {})}, timeout=10)


class Stream:
    """A raw SUBSCRIBE stream read record by record."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.stream_id = response.headers["Mesos-Stream-Id"]
        self._chunks = response.iter_content(None)
        self._buffer = b""
        self._records: list[dict] = []

    def next(self) -> dict:
        while not self._records:
            self._buffer += next(self._chunks)
            records, self._buffer = recordio.decode_all(self._buffer)
            self._records.extend(records)
        return self._records.pop(0)

    def next_of(self, kind: str) -> dict:
        while True:
            event = self.next()
            if event["type"] == kind:
                return event


@pytest.fixture
def stream(mesos_cluster: LocalCluster) -> Iterator[Stream]:
    response = requests.post(f"http://{mesos_cluster.master_url}/api/v1/scheduler", data=json.dumps(SUBSCRIBE),
                             headers={"Content-Type": "application/json", "Accept": "application/json"},
                             stream=True, timeout=10)
    try:
        yield Stream(response)
    finally:
        response.close()


def test_subscribe_is_chunked_recordio(mesos_cluster: LocalCluster) -> None:
    response = requests.post(f"http://{mesos_cluster.master_url}/master/api/v1/scheduler",
                             data=json.dumps(SUBSCRIBE), headers={"Content-Type": "application/json"},
                             stream=True, timeout=10)
    with response:
        assert response.status_code == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert response.headers["Content-Type"] == "application/json"
        assert len(response.headers["Mesos-Stream-Id"]) == 36
        raw = b""
        chunks = response.iter_content(None)
        while raw.count(b"\n") < 2 or not raw.rstrip().endswith(b"}"):
            raw += next(chunks)
            records, rest = recordio.decode_all(raw)
            if len(records) >= 2:
                break
        length, _, rest = raw.partition(b"\n")
        first = json.loads(rest[: int(length)])
        assert first["type"] == "SUBSCRIBED"
        assert first["subscribed"]["heartbeat_interval_seconds"] == 1.0
        assert first["subscribed"]["master_info"]["version"] == "1.11.0"
        assert first["subscribed"]["master_info"]["address"]["port"] == int(mesos_cluster.master_url.split(":")[1])
        assert rest[int(length):].startswith(b"20\n")  # the next record follows at once, no stray newline
        assert records[1] == {"type": "HEARTBEAT"}


def test_heartbeats_keep_coming(stream: Stream) -> None:
    assert stream.next()["type"] == "SUBSCRIBED"
    assert stream.next()["type"] == "HEARTBEAT"
    assert stream.next_of("HEARTBEAT") == {"type": "HEARTBEAT"}


def test_offer_format(stream: Stream) -> None:
    subscribed = stream.next()
    offers = stream.next_of("OFFERS")["offers"]["offers"]
    assert len(offers) == 3
    offer = offers[0]
    assert offer["framework_id"] == subscribed["subscribed"]["framework_id"]
    assert "allocation_info" not in offer  # no MULTI_ROLE (G6)
    assert offer["url"]["scheme"] == "http" and offer["url"]["path"] == "/slave(1)"
    assert offer["agent_id"]["value"].split("-S")[1].isdigit()
    names = {r["name"]: r for r in offer["resources"]}
    assert names["cpus"] == {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}, "role": "*"}
    assert names["ports"]["type"] == "RANGES"
    hosts = sorted(o["hostname"] for o in offers)
    assert hosts == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    port_ranges = [tuple((r["begin"], r["end"]) for r in
                         next(x for x in o["resources"] if x["name"] == "ports")["ranges"]["range"]) for o in offers]
    flat = [p for ranges in port_ranges for b, e in ranges for p in range(b, e + 1)]
    assert len(flat) == len(set(flat))  # disjoint slices


@pytest.mark.parametrize(("headers", "body", "status", "text"), [
    ({"Content-Type": None}, SUBSCRIBE, 400, "Expecting 'Content-Type' to be present"),
    ({"Content-Type": "text/plain"}, SUBSCRIBE, 415,
     "Expecting 'Content-Type' of application/json or application/x-protobuf"),
    ({}, "{not json", 400, "Failed to parse body into JSON: "),
    ({}, {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u"}}}, 400,
     "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.name"),
    ({}, {"subscribe": SUBSCRIBE["subscribe"]}, 400,
     "Failed to validate scheduler::Call: Expecting 'type' to be present"),
    ({}, {"type": "SUBSCRIBE"}, 400, "Failed to validate scheduler::Call: Expecting 'subscribe' to be present"),
    ({}, {"type": "TEARDOWN"}, 400, "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"),
    ({"Accept": "text/html"}, SUBSCRIBE, 406,
     "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"),
    ({"Mesos-Stream-Id": "x"}, SUBSCRIBE, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"),
    ({}, {"type": "TEARDOWN", "framework_id": {"value": "nope"}}, 400, "Framework cannot be found"),
])
def test_error_answers(mesos_cluster: LocalCluster, headers: dict, body: object, status: int, text: str) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    send = {"Content-Type": "application/json", **headers}
    send = {k: v for k, v in send.items() if v is not None}
    response = requests.post(f"http://{mesos_cluster.master_url}/api/v1/scheduler", data=data, headers=send,
                             timeout=10)
    assert response.status_code == status
    assert response.text.startswith(text)
    if text.endswith(": "):
        assert len(response.text) > len(text)


def test_get_is_405(mesos_cluster: LocalCluster) -> None:
    response = requests.get(f"http://{mesos_cluster.master_url}/api/v1/scheduler", timeout=10)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_stream_id_checks_and_202(stream: Stream, mesos_cluster: LocalCluster) -> None:
    framework_id = stream.next()["subscribed"]["framework_id"]
    revive = {"type": "REVIVE", "framework_id": framework_id}
    missing = post(mesos_cluster, revive)
    assert (missing.status_code, missing.text) == (
        400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header")
    wrong = post(mesos_cluster, revive, {"Mesos-Stream-Id": "bad"})
    assert wrong.status_code == 400
    assert wrong.text == ("The stream ID 'bad' included in this request didn't match the stream ID currently "
                          f"associated with framework ID {framework_id['value']}")
    ok = post(mesos_cluster, revive, {"Mesos-Stream-Id": stream.stream_id})
    assert (ok.status_code, ok.text) == (202, "")
    accept_missing_agent = {"type": "ACCEPT", "framework_id": framework_id, "accept": {
        "offer_ids": [{"value": "x"}], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [
            {"name": "t", "task_id": {"value": "t1"}, "slave_id": {"value": "ignored"}}]}}]}}
    bad = post(mesos_cluster, accept_missing_agent, {"Mesos-Stream-Id": stream.stream_id})
    assert bad.status_code == 400
    assert bad.text == ("Failed to convert JSON into Call protobuf: Missing required fields: "
                        "accept.operations[0].launch.task_infos[0].agent_id")
    ack_bad_uuid = {"type": "ACKNOWLEDGE", "framework_id": framework_id, "acknowledge": {
        "agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "AAAA"}}
    assert post(mesos_cluster, ack_bad_uuid, {"Mesos-Stream-Id": stream.stream_id}).status_code == 400


def test_disconnected_framework_gets_403(mesos_cluster: LocalCluster, stream: Stream) -> None:
    from tests.waiting import wait_for

    framework_id = stream.next()["subscribed"]["framework_id"]
    stream.response.close()
    wait_for(lambda: not mesos_cluster.state()["frameworks"][0]["connected"], 10, "disconnect noticed")
    response = post(mesos_cluster, {"type": "REVIVE", "framework_id": framework_id}, {"Mesos-Stream-Id": "x"})
    assert (response.status_code, response.text) == (403, "Framework is not subscribed")


def test_invalid_offer_gives_task_lost_update(stream: Stream, mesos_cluster: LocalCluster) -> None:
    framework_id = stream.next()["subscribed"]["framework_id"]
    accept = {"type": "ACCEPT", "framework_id": framework_id, "accept": {
        "offer_ids": [{"value": "gone"}], "operations": [{"type": "LAUNCH", "launch": {"task_infos": [
            {"name": "t", "task_id": {"value": "t1"}, "agent_id": {"value": "a"},
             "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}],
             "command": {"value": "true"}}]}}]}}
    response = post(mesos_cluster, accept, {"Mesos-Stream-Id": stream.stream_id})
    assert response.status_code == 202
    status = stream.next_of("UPDATE")["update"]["status"]
    assert status["state"] == "TASK_LOST"
    assert status["reason"] == "REASON_INVALID_OFFERS"
    assert status["source"] == "SOURCE_MASTER"
    assert status["message"] == "Task launched with invalid offers: Offer gone is no longer valid"
    assert "uuid" not in status


def test_read_endpoints(mesos_cluster: LocalCluster) -> None:
    base = f"http://{mesos_cluster.master_url}"
    version = requests.get(f"{base}/version", timeout=10).json()
    assert version["version"] == "1.11.0"
    assert requests.get(f"{base}/health", timeout=10).status_code == 200
    assert requests.get(f"{base}/master/health", timeout=10).text == ""
    assert requests.get(f"{base}/master/state.json", timeout=10).status_code == 404
    redirect = requests.get(f"{base}/master/redirect", allow_redirects=False, timeout=10)
    assert redirect.status_code == 307
    assert redirect.headers["Location"] == f"//127.0.0.1:{mesos_cluster.master_url.split(':')[1]}"
    state = requests.get(f"{base}/master/state", timeout=10).json()
    assert state == requests.get(f"{base}/state", timeout=10).json() | {"start_time": state["start_time"]}
    assert state["version"] == "1.11.0" and state["activated_slaves"] == 3
    slave = state["slaves"][0]
    assert slave["resources"]["cpus"] == 4.0 and slave["resources"]["gpus"] == 0
    assert slave["resources"]["ports"].startswith("[31000-")
    assert slave["pid"].startswith("slave(1)@127.0.0.")
    agent_state = requests.get(f"http://{mesos_cluster.agents[1].endpoint}/state", timeout=10).json()
    assert agent_state["id"] == mesos_cluster.agents[1].id
    assert agent_state["hostname"] == "127.0.0.2"
