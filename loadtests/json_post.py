"""JSON POST: ``POST /api/items`` with a valid item -> ``201`` and the item back as JSON.

Exercises body reading, JSON parsing and validation, and stores the item (one INSERT): every
name is new, since a taken one is a 409. Tag: ``post``.
Weight: ``LOAD_WEIGHT_POST``.
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
    def create_item(self) -> None:
        # Unique across runs and worker processes, not only within this process.
        item = {"name": f"load-item-{_run}-{next(_serial)}", "quantity": 3}
        with self.client.post(
            "/api/items", json=item, name="post /api/items", catch_response=True
        ) as response:
            problem = None
            if response.status_code != 201:
                problem = f"status {response.status_code}, expected 201"
            else:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                echoed = isinstance(body, dict) and body.get("name") == item["name"]
                if not echoed or "id" not in body:
                    problem = f"body {response.text[:80]!r} does not echo {item['name']!r}"
            verdict(response, problem)


class JsonPostUser(ShapeUser):
    weight = shape_weight("post", 1)
    tasks = [JsonPostTasks]
