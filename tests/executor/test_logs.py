"""Task output rotation caps what a chatty task can write to the sandbox."""

import os

from executor.logs import LogPump, RotatingFile
from tests.waiting import wait_for


def test_rotation_keeps_at_most_keep_files_of_max_bytes(tmp_path):
    sink = RotatingFile(tmp_path / "stdout", max_bytes=100, keep=2)
    for _ in range(50):
        sink.write(b"x" * 37)
    sink.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["stdout", "stdout.1", "stdout.2"]
    assert all((tmp_path / name).stat().st_size <= 100 for name in files)
    assert (tmp_path / "stdout.1").stat().st_size == 100


def test_the_pump_copies_a_pipe_until_it_closes(tmp_path):
    pump = LogPump()
    read, write = os.pipe()
    pump.add(read, RotatingFile(tmp_path / "stderr", max_bytes=1000, keep=1))
    os.write(write, b"hello\n")
    os.close(write)
    wait_for(lambda: (tmp_path / "stderr").read_bytes() == b"hello\n", 5, "the output copied")
    pump.stop()
