"""An event stream to one subscriber (a scheduler or an executor): the HTTP handler drains `events` and writes
RecordIO; None closes the stream."""

from __future__ import annotations

import asyncio


class EventStream:
    def __init__(self, stream_id: str | None = None) -> None:
        self.stream_id = stream_id
        self.events: asyncio.Queue[dict | None] = asyncio.Queue()
        self.closed = False

    def send(self, event: dict) -> None:
        if not self.closed:
            self.events.put_nowait(event)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.events.put_nowait(None)
