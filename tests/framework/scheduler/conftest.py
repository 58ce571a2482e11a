"""A scheduler cluster wired to a fresh ZooKeeper chroot and a mesoslocal cluster."""

from collections.abc import Iterator

import pytest

from tests.framework.scheduler.harness import SchedulerCluster


@pytest.fixture
def schedulers(zk_hosts: str, mesos_cluster, tmp_path) -> Iterator[SchedulerCluster]:
    cluster = SchedulerCluster(zk_hosts, mesos_cluster.master_url, tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()
