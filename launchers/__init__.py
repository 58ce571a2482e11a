"""Starting, waiting for and stopping real daemons (ZooKeeper, dockerd, HAProxy), by PID, with deadlines.

Shared by `balalaika up` (cli), balalaika-lb (lb), the test fixtures and the benchmarks, so it lives outside
every face package; stdlib only, and it imports none of Balalaika's other packages.
"""
