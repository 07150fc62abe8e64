"""Database writes: create an item, change it with ``If-Match``, delete it.

Each cycle is three committed transactions (INSERT, guarded UPDATE, DELETE), so the table stays
small however long the run. Off unless ``LOAD_WEIGHT_DB_WRITE`` is set. Tag: ``db_write``.
"""

from __future__ import annotations

import uuid

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task


class DbWriteTasks(TaskSet):
    @tag("db_write")
    @task
    def cycle(self) -> None:
        # Unique across every locust worker process: a name conflict would be a 409.
        item = {"name": f"db-write-{uuid.uuid4().hex}", "quantity": 1}
        with self.client.post(
            "/api/items", json=item, name="db_write post /api/items", catch_response=True
        ) as reply:
            created = reply.status_code == 201 and bool(reply.headers.get("Location"))
            verdict(reply, None if created else f"status {reply.status_code}, expected 201")
            location = reply.headers.get("Location", "")
            etag = reply.headers.get("ETag", "")
        if not created:
            return
        path = "/" + location.split("/", 3)[-1] if "://" in location else location
        with self.client.patch(
            path,
            json={"quantity": 2},
            headers={"If-Match": etag},
            name="db_write patch /api/items/[id]",
            catch_response=True,
        ) as reply:
            ok = reply.status_code == 200
            verdict(reply, None if ok else f"status {reply.status_code}, expected 200")
            etag = reply.headers.get("ETag", etag)
        with self.client.delete(
            path,
            headers={"If-Match": etag},
            name="db_write delete /api/items/[id]",
            catch_response=True,
        ) as reply:
            ok = reply.status_code == 204
            verdict(reply, None if ok else f"status {reply.status_code}, expected 204")


class DbWriteUser(ShapeUser):
    weight = shape_weight("db_write", 0)
    tasks = [DbWriteTasks]
