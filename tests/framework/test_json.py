"""``flasklite.json`` and ``DefaultJSONProvider``: Flask's documented JSON behaviour, and the
tagged serializer the session cookie uses."""

from __future__ import annotations

import dataclasses
import decimal
import gc
import io
import uuid
import weakref
from datetime import UTC, date, datetime
from typing import Any

import flask
import pytest
from markupsafe import Markup

from flasklite import json as fjson
from flasklite import request
from flasklite.json.provider import DefaultJSONProvider, JSONProvider
from flasklite.json.tag import JSONTag, TaggedJSONSerializer
from flasklite.wrappers import Request

from .conftest import AppFactory


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Html:
    def __html__(self) -> str:
        return "<b>bold</b>"


class Holder:
    """Stands in for an app where only the provider's own behaviour is under test."""

    debug = False


SAMPLE: dict[str, Any] = {
    "zeta": 1,
    "alpha": "é",
    "when": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    "day": date(2024, 5, 6),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "price": decimal.Decimal("9.99"),
    "point": Point(1, 2),
    "html": Html(),
}


def test_dumps_matches_flask_for_the_documented_types() -> None:
    ours = DefaultJSONProvider(Holder()).dumps(SAMPLE)
    theirs = flask.Flask("parity").json.dumps(SAMPLE)
    assert ours == theirs
    assert ours.index('"alpha"') < ours.index('"zeta"')  # sorted keys
    assert "\\u00e9" in ours  # ensure_ascii
    assert '"Mon, 06 May 2024 07:08:09 GMT"' in ours
    assert '"point": {"x": 1, "y": 2}' in ours and '"html": "<b>bold</b>"' in ours


def test_unserializable_value_raises_type_error() -> None:
    with pytest.raises(TypeError, match="object"):
        DefaultJSONProvider(Holder()).dumps({"x": object()})


def test_settings_changed_on_the_instance_take_effect() -> None:
    provider = DefaultJSONProvider(Holder())
    assert provider.dumps({"b": "é", "a": 1}) == '{"a": 1, "b": "\\u00e9"}'
    provider.sort_keys = False
    provider.ensure_ascii = False
    assert provider.dumps({"b": "é", "a": 1}) == '{"b": "é", "a": 1}'
    assert provider.dumps({"b": 1, "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'


def test_loads_refuses_deep_nesting_as_a_value_error() -> None:
    with pytest.raises(ValueError):
        DefaultJSONProvider(Holder()).loads("[" * 100_000)


def test_dump_and_load_use_files() -> None:
    provider = DefaultJSONProvider(Holder())
    buffer = io.StringIO()
    provider.dump({"a": [1, 2]}, buffer)
    buffer.seek(0)
    assert provider.load(buffer) == {"a": [1, 2]}


def test_provider_does_not_keep_its_app_alive() -> None:
    holder = Holder()
    provider = DefaultJSONProvider(holder)
    assert provider.app is holder
    del holder
    gc.collect()
    with pytest.raises(RuntimeError, match="no longer exists"):
        provider.app  # noqa: B018


def test_app_is_freed_when_its_last_reference_goes(make_app: AppFactory) -> None:
    app = make_app()
    app.json.dumps({})  # the provider exists and has been used
    ref = weakref.ref(app)
    del app
    gc.collect()
    assert ref() is None


def test_response_is_compact_outside_debug_and_indented_in_debug(make_app: AppFactory) -> None:
    app = make_app()
    with app.app_context():
        assert fjson.jsonify(b=1, a=[1, 2]).get_data() == b'{"a":[1,2],"b":1}\n'
        app.debug = True
        assert fjson.jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'
        app.json.compact = True  # type: ignore[attr-defined]
        assert fjson.jsonify(a=1).get_data() == b'{"a":1}\n'


def test_jsonify_arguments(app: Any) -> None:
    with app.app_context():
        assert fjson.jsonify().get_data() == b"null\n"
        assert fjson.jsonify(1, 2).get_data() == b"[1,2]\n"
        assert fjson.jsonify([3]).get_data() == b"[3]\n"
        response = fjson.jsonify({"a": 1})
        assert response.mimetype == "application/json"
        with pytest.raises(TypeError):
            fjson.jsonify(1, a=2)


def test_provider_mimetype_is_used_for_responses(app: Any) -> None:
    app.json.mimetype = "application/vnd.api+json"
    with app.app_context():
        assert fjson.jsonify(a=1).mimetype == "application/vnd.api+json"


def test_module_functions_use_the_apps_provider(make_app: AppFactory) -> None:
    class Shouting(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps(obj, **kwargs).upper()

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return {"parsed": super().loads(s, **kwargs)}

    app = make_app()
    app.json = Shouting(app)
    assert fjson.dumps({"a": "b"}) == '{"a": "b"}'  # no app: the stdlib with the defaults
    assert fjson.loads('{"a": 1}') == {"a": 1}
    with app.app_context():
        assert fjson.dumps({"a": "b"}) == '{"A": "B"}'
        assert fjson.loads("1") == {"parsed": 1}
        buffer = io.StringIO()
        fjson.dump([1], buffer)
        assert buffer.getvalue() == "[1]"
        assert fjson.load(io.StringIO("2")) == {"parsed": 2}


def test_dumps_without_app_still_converts_dates() -> None:
    assert fjson.dumps(date(2024, 1, 2)) == '"Tue, 02 Jan 2024 00:00:00 GMT"'


def test_jsonify_needs_an_app() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        fjson.jsonify(a=1)


def test_json_provider_class_is_replaceable(make_app: AppFactory) -> None:
    class Plain(JSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return "plain"

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return "parsed"

    class App(type(make_app())):  # type: ignore[misc]
        json_provider_class = Plain

    app = App("custom")
    assert isinstance(app.json, Plain)
    with app.app_context():
        assert fjson.jsonify(a=1).get_data() == b"plain"


# -- the tagged serializer -------------------------------------------------------------------

ROUND_TRIPS = [
    (1, "two", 3.0),
    b"\x00\xffbytes",
    Markup("<em>safe</em>"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    {" t": "a dict whose key looks like a tag"},
    {"nested": [(1, b"x"), {"inner": (2,)}]},
    [" t", {" di": 1}],
]


@pytest.mark.parametrize("value", ROUND_TRIPS, ids=repr)
def test_tagged_values_round_trip(value: Any) -> None:
    serializer = TaggedJSONSerializer()
    restored = serializer.loads(serializer.dumps(value))
    assert restored == value
    assert type(restored) is type(value)


def test_tagged_format_is_flasks() -> None:
    from flask.json.tag import TaggedJSONSerializer as FlaskSerializer

    value = {"t": (1, 2), "b": b"hi", "m": Markup("<i>"), "d": {" t": 1}}
    ours, theirs = TaggedJSONSerializer(), FlaskSerializer()
    assert ours.loads(theirs.dumps(value)) == value
    assert theirs.loads(ours.dumps(value)) == value


def test_registering_a_tag() -> None:
    class TagComplex(JSONTag):
        key = " c"

        def check(self, value: Any) -> bool:
            return isinstance(value, complex)

        def to_json(self, value: Any) -> Any:
            return [value.real, value.imag]

        def to_python(self, value: Any) -> Any:
            return complex(*value)

    serializer = TaggedJSONSerializer()
    serializer.register(TagComplex)
    assert serializer.loads(serializer.dumps({"z": 1 + 2j})) == {"z": 1 + 2j}
    with pytest.raises(KeyError):
        serializer.register(TagComplex)
    serializer.register(TagComplex, force=True, index=0)
    assert serializer.order[0].key == " c"


PLAIN_SESSIONS = [
    {"visits": 8},
    {"user": "ann", "admin": False, "score": 1.5, "note": None},
    {" t": 1},  # one key that is a tag's key: must still be escaped
    {" di": "x", "other": 2},  # tag-like key among others: plain JSON
    {},
]


@pytest.mark.parametrize("value", PLAIN_SESSIONS, ids=repr)
def test_plain_sessions_are_written_as_flask_writes_them(value: dict[str, Any]) -> None:
    from flask.json.tag import TaggedJSONSerializer as FlaskSerializer

    ours = TaggedJSONSerializer()
    assert ours.dumps(value) == FlaskSerializer().dumps(value)
    assert ours.loads(ours.dumps(value)) == value


class TagBigInt(JSONTag):
    """Integers too large for a JavaScript number, kept as text: a tag that claims plain ints."""

    key = " big"

    def check(self, value: Any) -> bool:
        return type(value) is int and abs(value) > 2**53

    def to_json(self, value: Any) -> Any:
        return str(value)

    def to_python(self, value: Any) -> Any:
        return int(value)


def test_a_registered_tag_also_sees_plain_values() -> None:
    """Plain values skip the tag checks only while every tag is a built-in one."""
    from flask.json.tag import TaggedJSONSerializer as FlaskSerializer

    ours, theirs = TaggedJSONSerializer(), FlaskSerializer()
    ours.register(TagBigInt)
    theirs.register(TagBigInt)  # type: ignore[arg-type]  # same protocol as Flask's JSONTag
    value = {"id": 2**60, "small": 1}
    assert (
        ours.dumps(value)
        == theirs.dumps(value)
        == '{"id":{" big":"1152921504606846976"},"small":1}'
    )
    assert ours.loads(ours.dumps(value)) == value
    assert ours.dumps(2**60) == '{" big":"1152921504606846976"}'


def test_request_get_json_uses_the_apps_provider(make_app: AppFactory) -> None:
    class Decimals(DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            kwargs.setdefault("parse_float", decimal.Decimal)
            return super().loads(s, **kwargs)

    app = make_app()
    app.json = Decimals(app)

    @app.post("/")
    def echo() -> Any:
        value = request.get_json()["price"]
        return {"type": type(value).__name__}

    response = app.test_client().post("/", data='{"price": 1.10}', content_type="application/json")
    assert response.get_json() == {"type": "Decimal"}


def test_on_json_loading_failed_is_overridable(make_app: AppFactory) -> None:
    class Lenient(Request):
        def on_json_loading_failed(self, e: ValueError | None) -> Any:
            return {"fallback": True}

    app = make_app()
    app.request_class = Lenient

    @app.post("/")
    def echo() -> Any:
        return request.get_json()

    response = app.test_client().post("/", data="{broken", content_type="application/json")
    assert response.get_json() == {"fallback": True}


def test_bad_json_body_is_a_small_400(make_app: AppFactory) -> None:
    app = make_app()

    @app.post("/")
    def echo() -> Any:
        return request.get_json()

    body = "[" * 200_000
    response = app.test_client().post("/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert len(response.get_data()) < 2000
