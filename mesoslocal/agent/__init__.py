"""A Mesos agent: command and Docker task runners, child processes, the fetcher, health checks, custom executors
and the v1 executor API, the agent's status-update manager and its /state.

Imports `mesoslocal.wire`, aiohttp and docker, never `mesoslocal.master`: it reaches the master only through
`MasterPort` (agent.py), which `cluster.Link` implements.
"""
