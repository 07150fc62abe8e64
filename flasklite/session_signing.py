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

from collections.abc import Callable, Iterable
from typing import Any, cast

from itsdangerous import TimestampSigner, URLSafeTimedSerializer


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
        self.own_salt_signer = cast(
            TimestampSigner,
            self.signer(
                derived, salt=self.salt, key_derivation="none", digest_method=digest_method
            ),
        )

    def make_signer(self, salt: str | bytes | None = None) -> TimestampSigner:
        """The prepared signer for the serializer's own salt; a new one for any other."""
        if isinstance(salt, str):
            salt = salt.encode("utf-8")
        if salt is None or salt == self.salt:
            return self.own_salt_signer
        return cast(TimestampSigner, super().make_signer(salt))

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
