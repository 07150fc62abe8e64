"""JSON POST: ``POST /_probe/json`` with an object -> ``200`` and the object echoed as JSON.

Exercises body reading and the bounded JSON parsing every service's JSON routes use
(wsgistack/json_input.py), through a wsgistack probe, so it runs against any service. Tag:
``post``. Weight: ``LOAD_WEIGHT_POST``.
"""

from __future__ import annotations

import itertools
import uuid

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

_serial = itertools.count(1)
_run = uuid.uuid4().hex[:12]


class JsonPostTasks(TaskSet):
    @tag("post")
    @task
    def echo(self) -> None:
        record = {"name": f"load-{_run}-{next(_serial)}", "quantity": 3}
        with self.client.post(
            "/_probe/json", json=record, name="post /_probe/json", catch_response=True
        ) as response:
            problem = None
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            else:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict) or body.get("echo") != record:
                    problem = f"body {response.text[:80]!r} does not echo {record['name']!r}"
            verdict(response, problem)


class JsonPostUser(ShapeUser):
    weight = shape_weight("post", 1)
    tasks = [JsonPostTasks]
