"""A Mesos agent: command and Docker task runners, child processes, the fetcher, health checks, custom executors
and the v1 executor API, the agent's status-update manager and its /state. With `--pretend-tasks`
(`pretend_runner.py`) command tasks are only reported as running, without a process, for 100,000-task benchmarks.

Imports `mesoslocal.wire`, aiohttp and docker, never `mesoslocal.master`: it reaches the master only through
`MasterPort` (agent.py), which `cluster.Link` implements.
"""
