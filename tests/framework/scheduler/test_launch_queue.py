"""The launch queue tells which apps' queued launches changed (the loop looks at those again)."""

from framework.scheduler.launch_queue import LaunchQueue


def test_the_apps_whose_queued_launches_changed_are_told_once() -> None:
    queue = LaunchQueue(None)
    queue.adjust("/a", launch=2, unqueue=0)
    queue.adjust("/b", launch=1, unqueue=1)  # no change
    assert queue.take_touched() == {"/a"} and queue.take_touched() == set()
    queue.launched({"/a": 1})
    queue.drop("/c")
    assert queue.take_touched() == {"/a", "/c"} and queue.counts == {"/a": 1}
