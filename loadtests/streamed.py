"""Streamed response: ``GET /_probe/stream?lines=N`` -> chunked ``text/plain``, a line a chunk.

The route is a wsgistack probe, in every service. The whole body is read and compared, so a
stream cut short by any layer is a failure. Tag: ``stream``. Weight: ``LOAD_WEIGHT_STREAM``;
lines from ``LOAD_STREAM_LINES`` (default 20).
"""

from __future__ import annotations

from _common import ShapeUser, env_int, shape_weight, verdict
from locust import TaskSet, tag, task

LINES = env_int("LOAD_STREAM_LINES", 20)
EXPECTED = "".join(f"line {number}\n" for number in range(1, LINES + 1))


class StreamTasks(TaskSet):
    @tag("stream")
    @task
    def stream(self) -> None:
        with self.client.get(
            f"/_probe/stream?lines={LINES}",
            name="stream /_probe/stream?lines=[n]",
            catch_response=True,
        ) as response:
            problem = None
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            elif response.text != EXPECTED:
                got = (response.text or "").count("\n")
                problem = f"stream has {got} lines or wrong content, expected {LINES}"
            verdict(response, problem)


class StreamUser(ShapeUser):
    weight = shape_weight("stream", 1)
    tasks = [StreamTasks]
