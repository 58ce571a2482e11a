"""A tiny pymesos executor for tests: RUNNING on launch, FINISHED for tasks named "finish", KILLED on kill;
echoes framework messages ("ping" → "pong:<task count>") and exits with status 3 on "exit". On SHUTDOWN it writes
`shutdown-received` into its sandbox (the cwd), and with ECHO_HANG_ON_SHUTDOWN set it then never returns, so only
the agent's kill after the grace period ends it (run it with MESOS_LOCAL set to stop pymesos's own kill)."""

from __future__ import annotations

import logging
import os
import sys
import threading

from pymesos import Executor, MesosExecutorDriver, decode_data, encode_data


class EchoExecutor(Executor):
    def __init__(self) -> None:
        self.tasks: set[str] = set()

    def launchTask(self, driver, task) -> None:
        task_id = task["task_id"]["value"]
        self.tasks.add(task_id)
        driver.sendStatusUpdate({"task_id": task["task_id"], "state": "TASK_RUNNING"})
        if task["name"] == "finish":
            driver.sendStatusUpdate({"task_id": task["task_id"], "state": "TASK_FINISHED"})

    def killTask(self, driver, task_id) -> None:
        driver.sendStatusUpdate({"task_id": task_id, "state": "TASK_KILLED"})

    def frameworkMessage(self, driver, message) -> None:
        text = decode_data(message).decode()
        if text == "exit":
            threading.Timer(0.2, os._exit, (3,)).start()
            return
        driver.sendFrameworkMessage(encode_data(f"pong:{len(self.tasks)}".encode()))

    def shutdown(self, driver) -> None:
        with open("shutdown-received", "w") as marker:
            marker.write(os.environ.get("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", ""))
        if os.environ.get("ECHO_HANG_ON_SHUTDOWN"):
            threading.Event().wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    MesosExecutorDriver(EchoExecutor()).run()
