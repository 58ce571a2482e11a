"""The Mesos master: the framework and agent registries, the allocator and the offer book, ACCEPT, status-update
forwarding, agent liveness, reconciliation, and its HTTP faces (the v1 scheduler API, /master/state).

Imports `mesoslocal.wire` and aiohttp, never `mesoslocal.agent`: it reaches an agent only through `AgentPort`
(records.py), which `cluster.Link` implements.
"""
