"""The scheduler finds the Mesos master through ZooKeeper (`--master zk://.../mesos`), as with a real Mesos."""

from tests.framework.scheduler.harness import SchedulerCluster
from tests.waiting import wait_for


def test_scheduler_discovers_the_master_through_zookeeper(zk_hosts: str, mesos_cluster_factory, tmp_path) -> None:
    master_zk = f"zk://{zk_hosts}/mesos"
    mesos = mesos_cluster_factory(agents=1, zk=master_zk)
    cluster = SchedulerCluster(zk_hosts, master_zk, tmp_path)
    try:
        cluster.start_scheduler()
        wait_for(cluster.store.get_framework_id, 30, "the framework to register through ZooKeeper discovery")
        framework_id = cluster.store.get_framework_id()
        assert framework_id in {f["id"] for f in mesos.state()["frameworks"]}
        cluster.put_app({"id": "/found", "cmd": "sleep 600", "cpus": 0.1, "mem": 16, "instances": 2})
        cluster.wait_running("/found", 2)
    finally:
        cluster.stop()
