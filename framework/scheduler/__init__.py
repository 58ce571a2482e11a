"""The scheduler daemon: one loop owns the state, pure modules decide, the edges do I/O.

`records` and `planning` are pure (plain data and `now` in, results out); `loop` is the single thread
that applies Mesos events, store changes and timers, and issues driver calls and store writes.
"""
