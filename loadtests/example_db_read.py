"""Database reads: a page of ``GET /api/items?limit=20``, then ``GET /api/items/<id>`` of its items.

Read-heavy traffic: nine item reads for every page, each one an indexed SELECT on a pooled
connection. Off unless ``LOAD_WEIGHT_DB_READ`` is set (the dispatch shapes stay comparable
run to run). Tag: ``db_read``.

The example service's own shape (yours: delete it with the example; `locust -f loadtests/`
runs whatever shapes are left).
"""

from __future__ import annotations

import random

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

PAGE_SIZE = 20


class DbReadTasks(TaskSet):
    ids: list[int]

    def on_start(self) -> None:
        self.ids = [1, 2, 3]

    @tag("db_read")
    @task(1)
    def page(self) -> None:
        url = f"/api/items?limit={PAGE_SIZE}"
        with self.client.get(
            url, name="db_read /api/items?limit=[n]", catch_response=True
        ) as reply:
            problem = None
            if reply.status_code != 200:
                problem = f"status {reply.status_code}, expected 200"
            else:
                try:
                    items = reply.json()["items"]
                    found = [item["id"] for item in items]
                except (ValueError, KeyError, TypeError):
                    found = []
                if found:
                    self.ids = found
                else:
                    problem = f"body {reply.text[:80]!r} lists no items"
            verdict(reply, problem)

    @tag("db_read")
    @task(9)
    def item(self) -> None:
        item_id = random.choice(self.ids)
        with self.client.get(
            f"/api/items/{item_id}", name="db_read /api/items/[id]", catch_response=True
        ) as reply:
            problem = None
            # 404: a db_write user deleted it meanwhile; a fact of shared data, not a failure.
            if reply.status_code not in (200, 404):
                problem = f"status {reply.status_code}, expected 200"
            elif reply.status_code == 200 and not reply.headers.get("ETag"):
                problem = "no ETag on an item"
            verdict(reply, problem)


class DbReadUser(ShapeUser):
    weight = shape_weight("db_read", 0)
    tasks = [DbReadTasks]
