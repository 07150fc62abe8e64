"""What every contender of ``make bench`` serves: the data and the view logic they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
TEMPLATE = "<ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul><p>{{ name }}</p>\n"
ITEMS = [f"item <{i}>" for i in range(10)]
N_RULES = 100


def item(item_id: int) -> dict[str, Any]:
    return {"id": item_id, "name": f"item {item_id}", "quantity": 3}


def created(data: dict[str, Any]) -> dict[str, Any]:
    return {"id": 4, "name": data["name"], "quantity": data["quantity"]}
