"""Master discovery through ZooKeeper: an ephemeral sequential `json.info_` znode holding MasterInfo JSON, as real
masters write it and pymesos's `zk://` detector reads it (notes A2)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlparse

from kazoo.client import KazooClient

log = logging.getLogger(__name__)


def parse_zk_url(url: str) -> tuple[str, str]:
    """`zk://h1:2181,h2:2181/mesos` → ("h1:2181,h2:2181", "/mesos")."""
    parsed = urlparse(url)
    if parsed.scheme not in ("zk", "zoo"):
        raise ValueError(f"not a zk:// URL: {url}")
    return parsed.netloc, parsed.path.rstrip("/") or "/"


class MasterRegistration:
    """Blocking (kazoo); call from a thread, not the event loop."""

    def __init__(self, url: str) -> None:
        self.hosts, self.path = parse_zk_url(url)
        self.client: KazooClient | None = None
        self.node: str | None = None

    def register(self, master_info: dict) -> str:
        self.client = KazooClient(hosts=self.hosts, timeout=10)
        self.client.start(timeout=15)
        self.client.ensure_path(self.path)
        prefix = self.path.rstrip("/") + "/json.info_"
        self.node = self.client.create(prefix, json.dumps(master_info).encode("utf-8"), ephemeral=True,
                                       sequence=True)
        log.info("master registered in ZooKeeper at %s%s", self.hosts, self.node)
        return self.node

    def close(self) -> None:
        if self.client is not None:
            try:
                if self.node:
                    self.client.delete(self.node)
            except Exception:  # the session may already be gone; the node is ephemeral anyway
                log.debug("could not delete %s", self.node, exc_info=True)
            self.client.stop()
            self.client.close()
            self.client = None
