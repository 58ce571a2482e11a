"""A tiny pymesos executor for tests: RUNNING on launch, FINISHED for tasks named "finish", KILLED on kill;
echoes framework messages ("ping" → "pong:<task count>") and exits with status 3 on "exit"."""

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


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    MesosExecutorDriver(EchoExecutor()).run()
