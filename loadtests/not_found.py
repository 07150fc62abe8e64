"""404: a path no route matches -> ``404`` with the JSON error body.

The router's miss path plus the error handler: a cost every service pays for scanners and typos.
Tag: ``not_found``. Weight: ``LOAD_WEIGHT_NOT_FOUND``.
"""

from __future__ import annotations

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

PATH = "/no-such-page"


class NotFoundTasks(TaskSet):
    @tag("not_found")
    @task
    def missing_page(self) -> None:
        with self.client.get(
            PATH,
            name=f"not_found {PATH}",
            headers={"Accept": "application/json"},
            catch_response=True,
        ) as response:
            problem = None
            if response.status_code != 404:
                problem = f"status {response.status_code}, expected 404"
            else:
                try:
                    error = response.json().get("error", {})
                except (ValueError, AttributeError):
                    error = {}
                if error.get("code") != 404:
                    problem = f"body {response.text[:80]!r} is not the JSON 404 error"
            # Without success(), locust would count the expected 404 as a failure.
            verdict(response, problem)


class NotFoundUser(ShapeUser):
    weight = shape_weight("not_found", 1)
    tasks = [NotFoundTasks]
