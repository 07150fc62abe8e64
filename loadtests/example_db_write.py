"""Database writes: create an item, change it with ``If-Match``, delete it.

Each cycle is three committed transactions (INSERT, guarded UPDATE, DELETE), so the table stays
small however long the run. Off unless ``LOAD_WEIGHT_DB_WRITE`` is set. Tag: ``db_write``.

The example service's own shape (yours: delete it with the example; `locust -f loadtests/`
runs whatever shapes are left).
"""

from __future__ import annotations

import uuid
from typing import Any

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

SHAPE = "db_write"


def expect(reply: Any, status: int) -> bool:
    """Mark ``reply`` by its status; True when it is ``status``."""
    ok = bool(reply.status_code == status)
    verdict(reply, None if ok else f"status {reply.status_code}, expected {status}")
    return ok


class DbWriteTasks(TaskSet):
    @tag("db_write")
    @task
    def cycle(self) -> None:
        # Unique across every locust worker process: a name conflict would be a 409.
        item = {"name": f"db-write-{uuid.uuid4().hex}", "quantity": 1}
        post = self.client.post
        with post(
            "/api/items", json=item, name=f"{SHAPE} post /api/items", catch_response=True
        ) as reply:
            if not expect(reply, 201):
                return
            location, etag = reply.headers.get("Location", ""), reply.headers.get("ETag", "")
        path = "/" + location.split("/", 3)[-1] if "://" in location else location
        steps = [
            (self.client.patch, {"json": {"quantity": 2}}, "patch", 200),
            (self.client.delete, {}, "delete", 204),
        ]
        for send, body, verb, status in steps:
            name = f"{SHAPE} {verb} /api/items/[id]"
            headers = {"If-Match": etag}
            with send(path, headers=headers, name=name, catch_response=True, **body) as reply:
                if not expect(reply, status):
                    return
                etag = reply.headers.get("ETag", etag)


class DbWriteUser(ShapeUser):
    weight = shape_weight("db_write", 0)
    tasks = [DbWriteTasks]
