"""Static route: ``GET /_probe/text`` -> ``text/plain`` ``Hello, World!`` (a wsgistack probe).

The cheapest answer any service has (a dict lookup in the router, no converter, no template),
so its numbers are the dispatch core's floor. Tag: ``static``. Weight: ``LOAD_WEIGHT_STATIC``.
"""

from __future__ import annotations

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

BODY = "Hello, World!"


class StaticRouteTasks(TaskSet):
    @tag("static")
    @task
    def hello(self) -> None:
        with self.client.get(
            "/_probe/text", name="static /_probe/text", catch_response=True
        ) as response:
            problem = None
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            elif response.text != BODY:
                problem = f"body {response.text[:60]!r}, expected {BODY!r}"
            verdict(response, problem)


class StaticRouteUser(ShapeUser):
    weight = shape_weight("static", 1)
    tasks = [StaticRouteTasks]
