"""mesoslocal: a Mesos-1.11-compatible master and agents, for development, the demo and the tests; the agents run in
the master's process or each in a process of its own, on another host.

Laid out the way Mesos is built:

* `wire/`: what both sides speak (RecordIO, event streams, ids, resources, TaskStatus and AgentInfo messages, call
  validation, the shared parts of /state). Imports nothing else of mesoslocal.
* `master/`: the master (frameworks, agents, offers, allocation, status-update forwarding, the scheduler API).
  Imports `wire` only.
* `agent/`: an agent (task runners, processes, the fetcher, health checks, custom executors, the executor API).
  Imports `wire` only.
* `cluster.py` wires one master to N agents in its process (`Link` carries the messages between them), `cli.py` is
  `mesos-local`, `zk.py` registers the master in ZooKeeper for `zk://` discovery.
* `agent_cli.py` is `mesos-local-agent`, an agent in a process of its own: it talks to the master over HTTP
  (`wire/agent_link.py`, `master/remote_agents.py`, `agent/remote_master.py`). `daemon.py` is what both commands
  share.

mesoslocal imports no other package of this repository (CONTRIBUTING.md); tests/mesoslocal/test_layout.py checks
these rules.
"""
