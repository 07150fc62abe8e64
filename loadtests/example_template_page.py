"""Template render: ``GET /`` -> the HTML page (a Jinja2 template extending ``base.html``).

Tag: ``template``. Off unless ``LOAD_WEIGHT_TEMPLATE`` is set.

The example service's own shape (yours: delete it with the example; `locust -f loadtests/`
runs whatever shapes are left).
"""

from __future__ import annotations

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

# The page lists the catalogue; the closing tag proves the whole template rendered.
MARKERS = ("Widget", "</html>")


class TemplatePageTasks(TaskSet):
    @tag("template")
    @task
    def index(self) -> None:
        with self.client.get(
            "/", name="template /", headers={"Accept": "text/html"}, catch_response=True
        ) as response:
            problem = None
            text = response.text or ""
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            elif missing := [marker for marker in MARKERS if marker not in text]:
                problem = f"page lacks {missing}"
            verdict(response, problem)


class TemplatePageUser(ShapeUser):
    weight = shape_weight("template", 0)
    tasks = [TemplatePageTasks]
