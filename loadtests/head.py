"""HEAD: ``HEAD /_probe/text`` (a probe route of wsgistack, in every service) -> ``200``, the GET's headers and no body.

Proves HEAD is answered from the GET view without a body leaking through any layer. There is no
body to carry a marker, so the marker is the service's ``X-Request-ID`` header. Tag: ``head``.
Weight: ``LOAD_WEIGHT_HEAD``.
"""

from __future__ import annotations

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task


class HeadTasks(TaskSet):
    @tag("head")
    @task
    def head_hello(self) -> None:
        with self.client.head(
            "/_probe/text", name="head /_probe/text", catch_response=True
        ) as response:
            problem = None
            headers = response.headers or {}
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            elif response.content:
                problem = f"HEAD answered with a {len(response.content)}-byte body"
            elif not headers.get("X-Request-ID"):
                problem = "no X-Request-ID header"
            elif not str(headers.get("Content-Type", "")).startswith("text/plain"):
                problem = f"Content-Type {headers.get('Content-Type')!r}, expected text/plain"
            verdict(response, problem)


class HeadUser(ShapeUser):
    weight = shape_weight("head", 1)
    tasks = [HeadTasks]
