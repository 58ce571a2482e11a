"""mesoslocal: a Mesos-1.11-compatible master and agents in one process, for development, the demo and the tests.

Laid out the way Mesos is built:

* `wire/`: what both sides speak (RecordIO, event streams, ids, resources, TaskStatus and AgentInfo messages, call
  validation, the shared parts of /state). Imports nothing else of mesoslocal.
* `master/`: the master (frameworks, agents, offers, allocation, status-update forwarding, the scheduler API).
  Imports `wire` only.
* `agent/`: an agent (task runners, processes, the fetcher, health checks, custom executors, the executor API).
  Imports `wire` only.
* `cluster.py` wires one master to N agents (`Link` carries the messages between them), `cli.py` is `mesos-local`,
  `zk.py` registers the master in ZooKeeper for `zk://` discovery.

mesoslocal imports no other package of this repository (CONTRIBUTING.md); tests/mesoslocal/test_layout.py checks
these rules.
"""
