"""Session cookies stay Flask's while their signing is prepared once (``flasklite/
session_signing.py``): a cookie either framework signs opens in the other, byte for byte the same
cookie for the same data and second, through key rotation and through config changes between
requests that the cached serializer has to notice."""

from __future__ import annotations

import hashlib
import random
import types
from collections.abc import Iterator
from typing import Any

import flask
import itsdangerous.timed
import pytest
from itsdangerous import BadData, BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request as WerkzeugRequest

import flasklite
from flasklite import session
from flasklite.json.tag import TaggedJSONSerializer
from flasklite.session_signing import SessionCookieSerializer
from flasklite.sessions import SecureCookieSessionInterface, request_cookie

from .conftest import AppFactory

OLD_KEY = "the-key-before-rotation-0123456789"
NEW_KEY = "the-key-after-rotation-9876543210"


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """itsdangerous's timestamps from a fixed second, so two signers' cookies can be compared."""
    monkeypatch.setattr(
        itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: 1_700_000_000.5)
    )


def counter_app(module: Any, app: Any) -> Any:
    """``/count`` adds one to ``session["n"]``; ``/peek`` only reads it."""

    @app.get("/count")
    def count() -> str:
        module.session["n"] = module.session.get("n", 0) + 1
        return str(module.session["n"])

    @app.get("/peek")
    def peek() -> str:
        return str(module.session.get("n"))

    return app


@pytest.fixture
def ours(make_app: AppFactory) -> flasklite.Flask:
    return counter_app(flasklite, make_app(SECRET_KEY=NEW_KEY))  # type: ignore[no-any-return]


def flask_app(**config: Any) -> flask.Flask:
    app = flask.Flask("peer")
    app.config.update(config)
    return counter_app(flask, app)  # type: ignore[no-any-return]


def session_cookie(response: Any) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return str(header.split(";", 1)[0].removeprefix("session="))
    raise AssertionError(f"no session cookie in {response.headers}")


def visit(app: Any, path: str, cookie: str | None = None) -> Any:
    client = app.test_client(use_cookies=False)
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    return client.get(path, headers=headers)


def test_a_cookie_flask_signs_is_read_and_counted_on_by_flasklite(ours: flasklite.Flask) -> None:
    theirs = flask_app(SECRET_KEY=NEW_KEY)
    cookie = session_cookie(visit(theirs, "/count"))
    assert visit(ours, "/peek", cookie).get_data() == b"1"
    assert visit(ours, "/count", cookie).get_data() == b"2"


def test_a_cookie_flasklite_signs_is_read_and_counted_on_by_flask(ours: flasklite.Flask) -> None:
    theirs = flask_app(SECRET_KEY=NEW_KEY)
    first = session_cookie(visit(ours, "/count"))
    second = session_cookie(visit(ours, "/count", first))
    assert visit(theirs, "/peek", second).get_data() == b"2"
    assert visit(theirs, "/count", second).get_data() == b"3"


def test_both_frameworks_write_the_same_bytes(ours: flasklite.Flask, frozen_clock: None) -> None:
    theirs = flask_app(SECRET_KEY=NEW_KEY)
    assert session_cookie(visit(ours, "/count")) == session_cookie(visit(theirs, "/count"))


def test_rotation_flask_cookie_under_the_old_key_opens_after_flasklite_rotates(
    ours: flasklite.Flask,
) -> None:
    old_cookie = session_cookie(visit(flask_app(SECRET_KEY=OLD_KEY), "/count"))
    assert visit(ours, "/peek", old_cookie).get_data() == b"None"  # not a key it knows yet
    ours.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]
    assert visit(ours, "/peek", old_cookie).get_data() == b"1"
    # Rewritten under the new key: Flask with only the new key reads it, with only the old not.
    rewritten = session_cookie(visit(ours, "/count", old_cookie))
    assert visit(flask_app(SECRET_KEY=NEW_KEY), "/peek", rewritten).get_data() == b"2"
    assert visit(flask_app(SECRET_KEY=OLD_KEY), "/peek", rewritten).get_data() == b"None"


def test_rotation_flasklite_cookie_under_the_old_key_opens_after_flask_rotates(
    make_app: AppFactory,
) -> None:
    before = counter_app(flasklite, make_app(SECRET_KEY=OLD_KEY))
    old_cookie = session_cookie(visit(before, "/count"))
    rotated = flask_app(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY])
    assert visit(rotated, "/peek", old_cookie).get_data() == b"1"
    assert visit(flask_app(SECRET_KEY=NEW_KEY), "/peek", old_cookie).get_data() == b"None"


def test_a_new_secret_key_between_requests_is_noticed(ours: flasklite.Flask) -> None:
    cookie = session_cookie(visit(ours, "/count"))
    ours.config["SECRET_KEY"] = OLD_KEY
    assert visit(ours, "/peek", cookie).get_data() == b"None"
    fresh = session_cookie(visit(ours, "/count"))
    assert visit(flask_app(SECRET_KEY=OLD_KEY), "/peek", fresh).get_data() == b"1"
    ours.config["SECRET_KEY"] = NEW_KEY
    assert visit(ours, "/peek", cookie).get_data() == b"1"


def test_dropping_a_fallback_key_between_requests_is_noticed(ours: flasklite.Flask) -> None:
    old_cookie = session_cookie(visit(flask_app(SECRET_KEY=OLD_KEY), "/count"))
    ours.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]
    assert visit(ours, "/peek", old_cookie).get_data() == b"1"
    ours.config["SECRET_KEY_FALLBACKS"] = []
    assert visit(ours, "/peek", old_cookie).get_data() == b"None"


class SaltedInterface(SecureCookieSessionInterface):
    salt = "another-salt"
    digest_method = staticmethod(hashlib.sha256)


class FlaskSaltedInterface(flask.sessions.SecureCookieSessionInterface):
    salt = "another-salt"
    digest_method = staticmethod(hashlib.sha256)


def test_an_interface_with_its_own_salt_and_digest_signs_as_flask_does(
    ours: flasklite.Flask, frozen_clock: None
) -> None:
    theirs = flask_app(SECRET_KEY=NEW_KEY)
    ours.session_interface = SaltedInterface()
    theirs.session_interface = FlaskSaltedInterface()
    cookie = session_cookie(visit(ours, "/count"))
    assert cookie == session_cookie(visit(theirs, "/count"))
    assert visit(theirs, "/peek", cookie).get_data() == b"1"
    assert visit(flask_app(SECRET_KEY=NEW_KEY), "/peek", cookie).get_data() == b"None"


class CountingSerializer(TaggedJSONSerializer):
    def __init__(self) -> None:
        super().__init__()
        self.dumped = 0

    def dumps(self, value: Any) -> str:
        self.dumped += 1
        return super().dumps(value)


def test_changing_the_interface_between_requests_is_noticed(ours: flasklite.Flask) -> None:
    cookie = session_cookie(visit(ours, "/count"))
    interface = ours.session_interface
    interface.salt = "moved"  # type: ignore[attr-defined]
    assert visit(ours, "/peek", cookie).get_data() == b"None"
    interface.key_derivation = "concat"  # type: ignore[attr-defined]
    moved = session_cookie(visit(ours, "/count"))
    interface.key_derivation = "hmac"  # type: ignore[attr-defined]
    assert visit(ours, "/peek", moved).get_data() == b"None"
    del interface.salt, interface.key_derivation  # type: ignore[attr-defined]
    assert visit(ours, "/peek", cookie).get_data() == b"1"
    interface.digest_method = hashlib.sha256  # type: ignore[attr-defined]
    assert visit(ours, "/peek", cookie).get_data() == b"None"
    del interface.digest_method  # type: ignore[attr-defined]
    counting = CountingSerializer()
    interface.serializer = counting  # type: ignore[attr-defined]
    assert visit(ours, "/count", cookie).get_data() == b"2" and counting.dumped > 0


# -- the serializer on its own ------------------------------------------------------------


def serializers(keys: list[str], key_derivation: str = "hmac") -> Iterator[URLSafeTimedSerializer]:
    """Ours and itsdangerous's own, built alike."""
    common: dict[str, Any] = {"salt": "cookie-session", "serializer": TaggedJSONSerializer()}
    kwargs = {"key_derivation": key_derivation, "digest_method": hashlib.sha1}
    yield SessionCookieSerializer(keys, **common, **kwargs)
    yield URLSafeTimedSerializer(keys, **common, signer_kwargs=kwargs)


@pytest.mark.parametrize("derivation", ["hmac", "concat", "django-concat", "none"])
def test_prepared_signer_signs_what_itsdangerous_signs(derivation: str, frozen_clock: None) -> None:
    prepared, plain = serializers([OLD_KEY, NEW_KEY], derivation)
    data = {"n": 1, "pair": (1, 2), "blob": b"\x00" * 64}
    assert prepared.dumps(data) == plain.dumps(data)
    assert prepared.loads(plain.dumps(data)) == data
    only_old = next(serializers([OLD_KEY], derivation))
    assert prepared.loads(only_old.dumps(data)) == data  # the fallback verifies


def test_another_salt_or_a_timestamp_goes_through_itsdangerous_unchanged(
    frozen_clock: None,
) -> None:
    prepared, plain = serializers([NEW_KEY])
    assert prepared.dumps({"a": 1}, salt="elsewhere") == plain.dumps({"a": 1}, salt="elsewhere")
    with pytest.raises(BadSignature):
        prepared.loads(plain.dumps({"a": 1}), salt="elsewhere")
    value, signed_at = prepared.loads(plain.dumps({"a": 1}), return_timestamp=True)
    assert value == {"a": 1} and signed_at.timestamp() == 1_700_000_000


def test_expired_and_tampered_cookies_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared, plain = serializers([NEW_KEY])
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: 1000.0))
    cookie = plain.dumps({"a": 1})
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: 5000.0))
    with pytest.raises(SignatureExpired):
        prepared.loads(cookie, max_age=60)
    assert prepared.loads(cookie, max_age=9999) == {"a": 1}
    with pytest.raises(BadSignature):
        prepared.loads(cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1])


def test_a_request_class_that_reads_cookies_its_own_way_is_honoured(
    make_app: AppFactory,
) -> None:
    """The session's cookie is parsed from the environ only for werkzeug's own ``cookies``."""

    class HeaderCookies(flasklite.Request):
        @property
        def cookies(self) -> Any:  # type: ignore[override]
            return {"session": self.environ.get("HTTP_X_SESSION", "")}

    app = counter_app(flasklite, make_app(SECRET_KEY=NEW_KEY))
    cookie = session_cookie(visit(app, "/count"))
    app.request_class = HeaderCookies
    client = app.test_client(use_cookies=False)
    assert client.get("/peek", headers={"X-Session": cookie}).get_data() == b"1"
    assert client.get("/peek", headers={"Cookie": f"session={cookie}"}).get_data() == b"None"


def test_reading_the_session_adds_cookie_to_an_existing_vary(make_app: AppFactory) -> None:
    app = make_app(SECRET_KEY=NEW_KEY)

    @app.get("/negotiated")
    def negotiated() -> Any:
        response = flasklite.make_response(str(session.get("n")))
        response.headers["Vary"] = "Accept-Encoding"
        return response

    response = app.test_client().get("/negotiated")
    assert response.headers.get_all("Vary") == ["Accept-Encoding, Cookie"]


def variants_of(cookie: str) -> list[str]:
    """``cookie`` and the ways a client can bend it: each part emptied, dropped, doubled, with
    characters base64 ignores, a longer timestamp, or another part's bytes."""
    value, stamp, signature = cookie.split(".")
    bent = [
        cookie,
        f"{value}.{stamp}",
        f"{value}{stamp}.{signature}",
        f".{stamp}.{signature}",
        f"{value}..{signature}",
        f"{value}.{stamp}.",
        f"{value}.{stamp}.{signature}=",
        f"{value}.{stamp}.{signature[:5]}*{signature[5:]}",
        f"{value}.{stamp}*.{signature}",
        f"{value}.AAAA{stamp}.{signature}",
        f"{value}.{stamp}.{signature}.{signature}",
        f"x.{value}.{stamp}.{signature}",
        f"{value}.{signature}.{stamp}",
        "...",
        "",
    ]
    return bent + [variant.replace("-", "+") for variant in bent]


def outcome(serializer: URLSafeTimedSerializer, cookie: str, max_age: int | None) -> Any:
    try:
        return serializer.loads(cookie, max_age=max_age)
    except BadSignature as refused:
        return type(refused)


@pytest.mark.parametrize("signed_at", [1000.0, 4990.0, 5000.0, 5010.0])
@pytest.mark.parametrize("max_age", [None, 60])
def test_prepared_signer_accepts_and_refuses_exactly_what_itsdangerous_does(
    monkeypatch: pytest.MonkeyPatch, signed_at: float, max_age: int | None
) -> None:
    """The short way of checking a cookie never decides differently from itsdangerous's own:
    same value, or the same error, for a cookie bent every way and signed in the past, just now
    and in the future, under the current key and under a retired one."""
    prepared, plain = serializers([OLD_KEY, NEW_KEY])
    retired = next(serializers([OLD_KEY]))
    stranger = next(serializers(["a-key-nobody-here-knows-0123456789"]))
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: signed_at))
    cookies = [signer.dumps({"n": 1, "user": "ada"}) for signer in (plain, retired, stranger)]
    monkeypatch.setattr(itsdangerous.timed, "time", types.SimpleNamespace(time=lambda: 5000.0))
    compared = 0
    for cookie in cookies:
        for variant in variants_of(cookie):
            assert outcome(prepared, variant, max_age) == outcome(plain, variant, max_age), variant
            compared += 1
    assert compared == 3 * 30


@pytest.mark.parametrize(
    "payload",
    [
        b"eyJuIjoxfQ",
        b"not*base64",
        b"bm90IGpzb24",
        b"",
        b".eJyrVspTsjKsBQAKqwJe",
        b".garbage",
        b"_-_-",
    ],
)
def test_a_signed_payload_reads_as_itsdangerous_reads_it(payload: bytes) -> None:
    """A payload signed under the right key (only the app can make one) is decoded, or refused
    with the same error, as itsdangerous decodes it: plain, compressed, or broken."""
    prepared, plain = serializers([NEW_KEY])
    cookie = plain.make_signer().sign(payload).decode()
    results = []
    for serializer in (prepared, plain):
        try:
            results.append(serializer.loads(cookie))
        except BadData as refused:  # BadPayload for a payload that does not decode
            results.append(type(refused))
    assert results[0] == results[1]


def cookie_headers() -> list[str]:
    """Cookie headers as servers hand them over (latin-1 text), plain and bent."""
    cookie = "eyJuIjoxfQ.aw5aIQ.Xo-ZJEBLVCankXrTiX2vBx9xI3A"
    fixed = [
        f"session={cookie}",
        f"a=1; session={cookie}; b=2",
        f"session = {cookie} ;x=y",
        f"\tsession=\t{cookie}\t",
        f"session=first; session={cookie}",
        f"session={cookie} extra; session=second",
        f"x session={cookie}; session=third",
        f"session; session={cookie}",
        f"=orphan; session={cookie}",
        f'session="{cookie}"',
        f'session="a\\"b"; session={cookie}',
        f"session={cookie}=; y",
        f"Session={cookie}; SESSION=x",
        f"sessionx={cookie}; xsession=1",
        f"session=\xff\xfe{cookie}",
        f"a=\xc3\xa9; session={cookie}",
        f"session={cookie};;; ;",
        f"session=a\rb; session={cookie}",
        "",
        ";;",
    ]
    alphabet = ["session", "=", ";", " ", "\t", "a", '"', "\\", "\xff", "é", "x=1"]
    rng = random.Random(7)
    fuzzed = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(400)]
    return fixed + fuzzed


def test_the_session_cookie_is_read_as_werkzeug_reads_it() -> None:
    """The session's own reading of the Cookie header gives what ``request.cookies`` gives, for
    every header, including ones that are not UTF-8 (which ``request.cookies`` decodes with
    replacement characters instead of failing)."""
    for header in cookie_headers():
        environ = EnvironBuilder().get_environ()
        environ["HTTP_COOKIE"] = header
        expected = WerkzeugRequest(environ).cookies.get("session")
        assert request_cookie(flasklite.Request(environ), "session") == expected, header


def test_a_cookie_header_that_is_not_utf8_opens_an_empty_session(ours: flasklite.Flask) -> None:
    reply = visit(ours, "/peek", "\xff\xfe; b=2")
    assert reply.status_code == 200 and reply.get_data() == b"None"
