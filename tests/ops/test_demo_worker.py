"""``xingji demo`` runs one worker of the task queue in its own process while it serves (issue 13 item 3)."""

from __future__ import annotations

from io import StringIO

from xingji.ops.management.commands import demo


class FakeServer:
    """The server child process: it runs until the demo stops (here: at once, with status 0)."""

    pid = 4242

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def wait(self, timeout=None) -> int:
        self.events.append("server ran")
        return 0

    def poll(self):
        return 0


class FakeWorker:
    def __init__(self, events: list[str]) -> None:
        self.events = events

    def stop(self) -> None:
        self.events.append("worker stopped")


class FakeThread:
    def __init__(self, events: list[str]) -> None:
        self.events = events

    def join(self, timeout=None) -> None:
        self.events.append("worker joined")


def test_the_demo_serves_with_a_worker_in_a_thread_and_stops_it_with_the_server(monkeypatch, tmp_path, db):
    events: list[str] = []
    monkeypatch.setattr(
        demo.subprocess, "Popen", lambda argv, env: events.append("server started") or FakeServer(events)
    )

    def start_in_thread():
        events.append("worker started")
        return FakeWorker(events), FakeThread(events)

    monkeypatch.setattr(demo, "start_in_thread", start_in_thread)
    command = demo.Command(stdout=StringIO())

    command.serve(tmp_path, demo.listening(8123, None))

    assert events == ["server started", "worker started", "server ran", "worker stopped", "worker joined"]
