"""The session cookie's signing serializer: itsdangerous's ``URLSafeTimedSerializer``, with its
signer built once instead of on every ``dumps`` and ``loads``.

itsdangerous makes a new signer for each call and derives the HMAC key from the secret key and
the salt each time it signs or verifies: work repeated on every request that uses the session,
for the same keys every time. ``SessionCookieSerializer`` derives the
keys once (with the signer's own public ``derive_key``) and keeps a signer that uses them as
they are (``key_derivation="none"``): the HMAC is computed with the same key, so the cookie is
byte for byte the one a plain ``URLSafeTimedSerializer`` (Flask's) writes, and either reads the
other's. A different salt passed to ``dumps``/``loads`` still gets a signer made the usual way.
"""

from __future__ import annotations

import hmac
import zlib
from binascii import a2b_base64, b2a_base64
from collections.abc import Callable, Iterable
from typing import Any, cast

from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

#: itsdangerous reads a timestamp of at most this many bytes (a big-endian unsigned 64-bit int).
_TIMESTAMP_BYTES = 8
# URL-safe base64 is standard base64 with two characters swapped: what base64.urlsafe_b64encode
# and urlsafe_b64decode do around binascii, without their layers of calls.
_TO_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URL_SAFE = bytes.maketrans(b"-_", b"+/")


def url_safe_b64(data: bytes) -> bytes:
    """Unpadded URL-safe base64, as itsdangerous writes every part."""
    return b2a_base64(data, newline=False).translate(_TO_URL_SAFE).rstrip(b"=")


def from_url_safe_b64(text: bytes) -> bytes:
    """The bytes of unpadded URL-safe base64 (``binascii.Error``, a ``ValueError``, if bad)."""
    return a2b_base64(text.translate(_FROM_URL_SAFE) + b"=" * (-len(text) % 4))


class PreparedTimestampSigner(TimestampSigner):
    """itsdangerous's ``TimestampSigner`` over keys that are already derived
    (``key_derivation="none"``), signing and checking with one HMAC call per key.

    The output is byte for byte ``TimestampSigner.sign``'s: ``value.timestamp.signature``, the
    timestamp as the big-endian bytes of the Unix time without leading zero bytes, both parts
    in unpadded URL-safe base64. ``unsign`` takes the short way only for a well-formed,
    correctly signed, unexpired value; anything else (or ``return_timestamp``) goes through
    itsdangerous's own ``unsign``, which raises the precise error, so both accept and refuse
    exactly the same values.
    """

    def __init__(
        self,
        derived_keys: list[bytes],
        *,
        salt: str | bytes | None,
        digest_method: Callable[..., Any],
    ) -> None:
        super().__init__(
            derived_keys,
            salt=salt,
            key_derivation="none",
            digest_method=digest_method,
        )
        self.separator = want_bytes(self.sep)
        # The newest key signs; checking tries the newest first, as itsdangerous does.
        self.keys_newest_first = self.secret_keys[::-1]  # bytes already (Signer made them so)

    def mac(self, key: bytes, value: bytes) -> bytes:
        """The signature of ``value`` under ``key``, base64-encoded as it is sent."""
        return url_safe_b64(hmac.digest(key, value, self.digest_method))

    def sign(self, value: str | bytes) -> bytes:
        seconds = self.get_timestamp()
        stamp = seconds.to_bytes(_TIMESTAMP_BYTES, "big").lstrip(b"\0")
        stamped = b"".join((want_bytes(value), self.separator, url_safe_b64(stamp)))
        return stamped + self.separator + self.mac(self.keys_newest_first[0], stamped)

    def unsign(
        self,
        signed_value: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
    ) -> Any:
        if return_timestamp:
            return super().unsign(signed_value, max_age, return_timestamp=True)
        value = self.valid_value(want_bytes(signed_value), max_age)
        return super().unsign(signed_value, max_age) if value is None else value

    def valid_value(self, signed: bytes, max_age: int | None) -> bytes | None:
        """The value ``signed`` carries if its signature is right and it is not expired."""
        separator = self.separator
        stamped, _, signature = signed.rpartition(separator)
        value, found, stamp = stamped.rpartition(separator)
        if not found:
            return None
        for key in self.keys_newest_first:
            if hmac.compare_digest(self.mac(key, stamped), signature):
                break
        else:
            return None
        try:
            raw = from_url_safe_b64(stamp)
        except ValueError:
            return None
        if len(raw) > _TIMESTAMP_BYTES:
            return None
        if max_age is not None:
            age = self.get_timestamp() - int.from_bytes(raw, "big")
            if not 0 <= age <= max_age:
                return None
        return value


class SessionCookieSerializer(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer(secret_keys, salt, serializer, signer_kwargs=...)`` whose signer
    for ``salt`` is made once. ``secret_keys`` run oldest to newest, as in itsdangerous: the last
    one signs, all of them verify."""

    def __init__(
        self,
        secret_keys: Iterable[str | bytes],
        *,
        salt: str | bytes,
        serializer: Any,
        key_derivation: str,
        digest_method: Callable[..., Any],
    ) -> None:
        super().__init__(
            list(secret_keys),  # type: ignore[arg-type]  # str and bytes keys may mix
            salt=salt,
            serializer=serializer,
            signer_kwargs={"key_derivation": key_derivation, "digest_method": digest_method},
        )
        deriving = super().make_signer()
        derived = [deriving.derive_key(key) for key in self.secret_keys]
        # ``self.signer`` is TimedSerializer's TimestampSigner (itsdangerous types it as Signer).
        self.own_salt_signer: TimestampSigner = PreparedTimestampSigner(
            derived, salt=self.salt, digest_method=digest_method
        )

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        """The prepared signer for the serializer's own salt; a new one for any other."""
        if isinstance(salt, str):
            salt = salt.encode("utf-8")
        if salt is None or salt == self.salt:
            return self.own_salt_signer
        return cast(TimestampSigner, super().make_signer(salt))

    def dump_payload(self, obj: Any) -> bytes:
        """itsdangerous's URL-safe payload: the serializer's text, zlib-compressed (and marked
        with a leading ".") when that is at least two bytes shorter, in URL-safe base64."""
        text = want_bytes(self.serializer.dumps(obj, **self.serializer_kwargs))
        packed = zlib.compress(text)
        if len(packed) < len(text) - 1:
            return b"." + url_safe_b64(packed)
        return url_safe_b64(text)

    def load_payload(self, payload: bytes, *args: Any, **kwargs: Any) -> Any:
        """The value of an uncompressed payload read directly; anything else, or any failure,
        goes through itsdangerous's own ``load_payload`` (which raises ``BadPayload``)."""
        if args or kwargs or payload.startswith(b"."):
            return super().load_payload(payload, *args, **kwargs)
        try:
            raw = from_url_safe_b64(payload)
            text: Any = raw.decode("utf-8") if self.is_text_serializer else raw
            return self.serializer.loads(text, **self.serializer_kwargs)
        except Exception:
            return super().load_payload(payload)

    def dumps(self, obj: Any, salt: str | bytes | None = None) -> str:
        """As itsdangerous's ``dumps``: the payload, signed, as text (for the own salt, straight
        to the prepared signer)."""
        if salt is not None or not self.is_text_serializer:
            return super().dumps(obj, salt)
        return self.own_salt_signer.sign(self.dump_payload(obj)).decode("utf-8")

    def loads(  # type: ignore[override]  # itsdangerous's own signature, kept as it is
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> Any:
        """As itsdangerous's ``loads``. With the own salt, no fallback signers and no timestamp
        asked for, the one signer is tried directly: the general loop turns every timestamp
        into a ``datetime`` that a session never looks at."""
        signer = self.make_signer(salt)
        if return_timestamp or signer is not self.own_salt_signer or self.fallback_signers:
            return super().loads(s, max_age, return_timestamp, salt)
        return self.load_payload(signer.unsign(s, max_age=max_age))


__all__ = ["SessionCookieSerializer"]
