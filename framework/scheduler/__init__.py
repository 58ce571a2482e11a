"""The scheduler daemon: one loop owns the state, pure modules decide, the edges do I/O.

`records` and `launching` are pure (plain data and `now` in, results out), beside framework.deploy's
deployment rules. `loop.Scheduler` is the single thread that applies Mesos events, store changes and
timers; it composes the components that own the rest of the leader's state (`known_tasks`, `kills`,
`launch_queue`, `deployment_executor`, `event_log`, `failures`), each handed what it needs.
"""
