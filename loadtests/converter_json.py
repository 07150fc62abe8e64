"""Converter route returning JSON: ``GET /_probe/number/<int:number>`` (a wsgistack probe).

Exercises the router's ``int`` converter and JSON serialisation. Tag: ``converter``.
Weight: ``LOAD_WEIGHT_CONVERTER``.
"""

from __future__ import annotations

import random

from _common import ShapeUser, shape_weight, verdict
from locust import TaskSet, tag, task

NUMBERS = (1, 2, 3, 1000)


class ConverterJsonTasks(TaskSet):
    @tag("converter")
    @task
    def get_number(self) -> None:
        number = random.choice(NUMBERS)
        with self.client.get(
            f"/_probe/number/{number}", name="converter /_probe/number/[n]", catch_response=True
        ) as response:
            problem = None
            if response.status_code != 200:
                problem = f"status {response.status_code}, expected 200"
            else:
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if body != {"number": number}:
                    problem = f"body {response.text[:80]!r} is not number {number}"
            verdict(response, problem)


class ConverterJsonUser(ShapeUser):
    weight = shape_weight("converter", 1)
    tasks = [ConverterJsonTasks]
