"""Converter route returning JSON: ``GET /api/items/<int:item_id>`` for the ids that exist.

Exercises the router's ``int`` converter and JSON serialisation. Tag: ``converter``.
Weight: ``LOAD_WEIGHT_CONVERTER``.
"""

from __future__ import annotations

import random

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

ITEM_IDS = (1, 2, 3)


class ConverterJsonTasks(TaskSet):
    @tag("converter")
    @task
    def get_item(self) -> None:
        item_id = random.choice(ITEM_IDS)
        with self.client.get(
            f"/api/items/{item_id}", name="converter /api/items/[id]", catch_response=True
        ) as response:
            problem = None
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            else:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if not isinstance(body, dict) or body.get("id") != item_id or "name" not in body:
                    problem = f"body {response.text[:80]!r} is not item {item_id}"
            verdict(response, problem)


class ConverterJsonUser(ShapeUser):
    weight = shape_weight("converter", 1)
    tasks = [ConverterJsonTasks]
