"""Sessions: a dict per client that survives between requests, behind a replaceable interface.

``app.session_interface`` opens the session when a request starts and saves it into the
response. The default, ``SecureCookieSessionInterface``, keeps the whole session in a cookie
signed with ``SECRET_KEY`` (itsdangerous): clients can read it but not change it. Without a
secret key the session is a ``NullSession``: reading works (it is empty), writing raises an
error that says what to configure.

Configuration (Flask's keys and defaults are in ``SESSION_DEFAULTS``): ``SECRET_KEY``,
``SECRET_KEY_FALLBACKS`` (old keys still accepted, for rotation), ``SESSION_COOKIE_NAME``,
``_DOMAIN``, ``_PATH``, ``_HTTPONLY``, ``_SECURE``, ``_SAMESITE``, ``_PARTITIONED``,
``PERMANENT_SESSION_LIFETIME`` and ``SESSION_REFRESH_EACH_REQUEST``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, cast

from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict
from werkzeug.http import dump_cookie
from werkzeug.wrappers import Request as WerkzeugRequest
from werkzeug.wrappers import Response as WerkzeugResponse

from .json.tag import TaggedJSONSerializer
from .session_signing import SessionCookieSerializer
from .wrappers import Response as FlaskliteResponse

if TYPE_CHECKING:
    from werkzeug.wrappers import Request, Response

# werkzeug's own ``Request.cookies``: a request class that keeps it reads cookies the standard
# way, which ``request_cookie`` can do without building the request's header view.
_STANDARD_COOKIES = WerkzeugRequest.cookies

SESSION_DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,  # None: APPLICATION_ROOT
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": None,
    "SESSION_REFRESH_EACH_REQUEST": True,
}


def request_cookie(request: Request, name: str) -> str | None:
    """The value of the request's cookie ``name``, as ``request.cookies`` has it. Unless the
    request class reads cookies its own way, a plain ``Cookie`` header (ASCII, no quoted values)
    is read straight from the environ: ``request.cookies`` would first build the request's
    header view, which costs more than the reading, on every request that brings a session.
    Anything else (bytes that are not UTF-8, quoting) is left to ``request.cookies``."""
    if type(request).cookies is _STANDARD_COOKIES:
        header: str = request.environ.get("HTTP_COOKIE", "")
        if header.isascii() and '"' not in header and _PLAIN_COOKIE_NAME.fullmatch(name):
            return plain_cookie_value(header, name)
    return request.cookies.get(name)


# A name werkzeug's cookie parser can return (no space, tab, "=", quote or ";").
_PLAIN_COOKIE_NAME = re.compile(r'[^ \t=";]+')


def plain_cookie_value(header: str, name: str) -> str | None:
    """The first value of cookie ``name`` in an ASCII ``Cookie`` header without quoted values,
    read as werkzeug reads one: ``;``-separated pairs, spaces and tabs around a pair and around
    its ``=`` ignored, a pair with a space or tab inside its key or value skipped whole, a name
    without ``=`` read as an empty value."""
    for pair in header.split(";"):
        key, _, value = pair.partition("=")
        if key.strip(" \t") != name:
            continue
        value = value.strip(" \t")
        if " " not in value and "\t" not in value:
            return value
    return None


def keeps_headers_aside(response: Response) -> bool:
    """Whether ``response`` is a flasklite response whose werkzeug construction is still
    deferred: headers then go through its ``add_header``, without building a ``Headers``."""
    return isinstance(response, FlaskliteResponse) and response.deferred is not None


def add_vary_cookie(response: Response) -> None:
    """``Vary: Cookie`` on ``response``; a plain header when it has no ``Vary`` yet (parsing
    and rewriting the header through ``response.vary`` is only needed to merge)."""
    if keeps_headers_aside(response) and all(
        name.lower() != "vary" for name, _ in cast(FlaskliteResponse, response).pending_headers
    ):
        cast(FlaskliteResponse, response).add_header("Vary", "Cookie")
        return
    headers = response.headers
    if "Vary" in headers:
        response.vary.add("Cookie")
    else:
        headers["Vary"] = "Cookie"


def set_cookie(response: Response, name: str, value: str, **attributes: Any) -> None:
    """``response.set_cookie(name, value, **attributes)``. For a deferred flasklite response
    whose class keeps werkzeug's ``set_cookie``, the same ``Set-Cookie`` value (werkzeug's
    ``dump_cookie``, with the response's ``max_cookie_size``) goes through ``add_header``."""
    if keeps_headers_aside(response) and type(response).set_cookie is WerkzeugResponse.set_cookie:
        header = dump_cookie(name, value, max_size=response.max_cookie_size, **attributes)
        cast(FlaskliteResponse, response).add_header("Set-Cookie", header)
    else:
        response.set_cookie(name, value, **attributes)


def permanent_session_lifetime(app: Any) -> timedelta:
    """``PERMANENT_SESSION_LIFETIME`` as a ``timedelta`` (the config may hold seconds)."""
    value = app.config["PERMANENT_SESSION_LIFETIME"]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


class SessionMixin(MutableMapping[str, Any]):
    """What the framework expects of a session besides the dict methods."""

    #: True when the session did not come from the client (a fresh one).
    new = False
    #: Whether the session changed; a plain dict cannot tell, so assume it did.
    modified = True
    #: Whether the session was read or written; the response then varies by ``Cookie``.
    accessed = True

    @property
    def permanent(self) -> bool:
        """A permanent session's cookie lasts ``PERMANENT_SESSION_LIFETIME``; otherwise it is
        dropped when the browser closes. Stored in the session itself, as ``_permanent``."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(CallbackDict[str, Any], SessionMixin):
    """The session of the cookie interface: a dict that records writes (``modified``) and
    reads (``accessed``), so the cookie is only rewritten when needed."""

    modified = False
    accessed = False

    def __init__(self, initial: Any = None) -> None:
        def changed(session: SecureCookieSession) -> None:
            session.modified = True
            session.accessed = True

        super().__init__(initial, changed)

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().setdefault(key, default)


def _refuse_without_secret(*args: Any, **kwargs: Any) -> NoReturn:
    raise RuntimeError(
        "The session is unavailable because no secret key was set. Set the secret_key on the"
        " application (SECRET_KEY in its config) to something unique and secret."
    )


class NullSession(SecureCookieSession):
    """The session of an app without a secret key: empty, and every write raises."""

    __setitem__ = __delitem__ = clear = pop = popitem = update = _refuse_without_secret
    setdefault = _refuse_without_secret


class SessionInterface:
    """How sessions are loaded and stored: subclass it, implement ``open_session`` and
    ``save_session``, and set ``app.session_interface``. The ``get_cookie_*`` methods read the
    ``SESSION_COOKIE_*`` settings, so a subclass can compute them per app or per request."""

    null_session_class: type[SessionMixin] = NullSession
    #: Flask's flag for interfaces that pickle sessions; informational here.
    pickle_based = False

    def make_null_session(self, app: Any) -> SessionMixin:
        """The session used when ``open_session`` returns None."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is that replacement session (it is never saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: Any) -> str:
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: Any) -> str | None:
        return app.config["SESSION_COOKIE_DOMAIN"] or None

    def get_cookie_path(self, app: Any) -> str:
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"] or "/"

    def get_cookie_httponly(self, app: Any) -> bool:
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: Any) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: Any) -> str | None:
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: Any) -> bool:
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def cookie_options(self, app: Any) -> dict[str, Any]:
        """The cookie's attributes, for ``set_cookie`` and ``delete_cookie`` alike (a browser
        only deletes a cookie whose domain and path match the one it holds)."""
        return {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "httponly": self.get_cookie_httponly(app),
            "samesite": self.get_cookie_samesite(app),
            "partitioned": self.get_cookie_partitioned(app),
        }

    def get_expiration_time(self, app: Any, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; None (a browser-session cookie) otherwise."""
        if not session.permanent:
            return None
        return datetime.now(UTC) + permanent_session_lifetime(app)

    def should_set_cookie(self, app: Any, session: SessionMixin) -> bool:
        """Send the cookie when the session changed, or, for a permanent session with
        ``SESSION_REFRESH_EACH_REQUEST``, on every request (which slides its expiry forward)."""
        if session.modified:
            return True
        return session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])

    def should_open_for_saving(self, app: Any, environ: dict[str, Any]) -> bool:
        """Whether a session the request never used must still be opened and saved at the end.
        True here (Flask opens every session); the cookie interface knows better."""
        return True

    def open_session(self, app: Any, request: Request) -> SessionMixin | None:
        """The session for ``request``; None means "no session" (a null session is used)."""
        raise NotImplementedError

    def save_session(self, app: Any, session: SessionMixin, response: Response) -> None:
        """Store ``session`` (set or delete the cookie on ``response``)."""
        raise NotImplementedError


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a cookie: the tagged-JSON dict, timestamped and HMAC-signed with the secret
    key. ``SECRET_KEY`` signs; it and every key in ``SECRET_KEY_FALLBACKS`` verify, so keys can
    be rotated without logging everyone out. The signature's age is checked against
    ``PERMANENT_SESSION_LIFETIME`` as well as the cookie's own expiry."""

    salt = "cookie-session"
    digest_method: Callable[..., Any] = staticmethod(hashlib.sha1)
    key_derivation = "hmac"
    serializer: Any = TaggedJSONSerializer()
    session_class: type[SecureCookieSession] = SecureCookieSession

    def __init__(self) -> None:
        # Built serializers by everything that shapes them; one interface may serve many apps.
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Any) -> URLSafeTimedSerializer | None:
        """The serializer for the app's keys, or None without ``SECRET_KEY``."""
        secret = app.config["SECRET_KEY"]
        if not secret:
            return None
        fallbacks = app.config["SECRET_KEY_FALLBACKS"] or ()
        # itsdangerous signs with the last key of the list and verifies with any of them.
        keys = (*fallbacks, secret)
        cache_key = (keys, self.salt, self.digest_method, self.key_derivation, self.serializer)
        serializer = self._serializers.get(cache_key)
        if serializer is None:
            serializer = SessionCookieSerializer(
                keys,
                salt=self.salt,
                serializer=self.serializer,
                key_derivation=self.key_derivation,
                digest_method=self.digest_method,
            )
            if len(self._serializers) >= 16:  # keys change rarely; never let this grow
                self._serializers.clear()
            self._serializers[cache_key] = serializer
        return serializer

    def should_open_for_saving(self, app: Any, environ: dict[str, Any]) -> bool:
        # Unused and without a cookie, a session saves nothing; with one, a permanent session
        # may need its expiry refreshed. A plain substring test: a false match only costs an open.
        cookies = environ.get("HTTP_COOKIE")
        if not cookies or not app.config["SECRET_KEY"]:
            return False
        refresh = app.config["SESSION_REFRESH_EACH_REQUEST"]
        return bool(refresh) and f"{self.get_cookie_name(app)}=" in cookies

    def open_session(self, app: Any, request: Request) -> SecureCookieSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        cookie = request_cookie(request, self.get_cookie_name(app))
        if cookie:
            max_age = int(permanent_session_lifetime(app).total_seconds())
            try:
                data = signer.loads(cookie, max_age=max_age)
            except BadSignature:  # tampered, expired, or signed with a retired key
                data = None
            if isinstance(data, dict):
                return self.session_class(data)
        session = self.session_class()
        session.new = True
        return session

    def save_session(self, app: Any, session: SessionMixin, response: Response) -> None:
        # A response that read or changed the session depends on the cookie: caches must key
        # on it (``Vary: Cookie``). The cookie's settings are read only when it is written.
        varies = session.accessed
        if session:
            if self.should_set_cookie(app, session):
                signer = self.get_signing_serializer(app)
                assert signer is not None, "save_session called for an app without SECRET_KEY"
                set_cookie(
                    response,
                    self.get_cookie_name(app),
                    signer.dumps(dict(session)),
                    expires=self.get_expiration_time(app, session),
                    **self.cookie_options(app),
                )
                varies = True
        elif session.modified:  # emptied during this request: remove the cookie
            response.delete_cookie(self.get_cookie_name(app), **self.cookie_options(app))
            varies = True
        if varies:
            add_vary_cookie(response)


def open_request_session(app: Any, request: Request) -> SessionMixin:
    """What the request context does to get ``session``: the interface's session, or its null
    session when it opens none."""
    interface: SessionInterface = app.session_interface
    session = interface.open_session(app, request)
    return session if session is not None else interface.make_null_session(app)


def save_request_session(app: Any, session: SessionMixin, response: Response) -> None:
    """What ``process_response`` does with the session: save it unless it is the null one."""
    interface: SessionInterface = app.session_interface
    if not interface.is_null_session(session):
        interface.save_session(app, session, response)


def save_context_session(app: Any, ctx: Any, response: Response) -> None:
    """``app.save_session``: save the request's session, opening it first if nothing has.

    ``process_response`` calls it only when the session was opened (``ctx.session`` opens it
    lazily) or the interface's ``should_open_for_saving`` says an unopened one could still
    change the response (for the cookie interface: the request brought the session cookie,
    which a permanent session refreshes); requests that never touch the session skip it."""
    save_request_session(app, ctx.session, response)


__all__ = [
    "SESSION_DEFAULTS",
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
]
