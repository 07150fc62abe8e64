"""A JSON format that round-trips more than JSON's types: the session cookie's serializer.

A value JSON cannot tell apart is written as a one-key object whose key names its type::

    (1, 2)            → {" t": [1, 2]}
    b"\\x00"           → {" b": "AA=="}
    Markup("<b>")     → {" m": "<b>"}
    UUID(...)         → {" u": "<hex>"}
    datetime(...)     → {" d": "<HTTP date>"}
    {" t": 1}         → {" di": {" t__": 1}}   (a dict that would be mistaken for a tag)

The keys are Flask's, so a cookie written by either reads in the other. Add a type by
subclassing ``JSONTag`` and calling ``TaggedJSONSerializer.register``.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date


class JSONTag:
    """One type the serializer knows: ``check`` recognises it, ``to_json``/``to_python``
    convert it. ``key`` marks tagged output; a tag with an empty key only rewrites the inside
    of a container (its output is plain JSON)."""

    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        converted = self.to_json(value)
        return {self.key: converted} if self.key else converted


class TagDict(JSONTag):
    """A one-key dict whose key is a tag's key: the key gets a ``__`` suffix, so reading it back
    does not mistake the dict for a tagged value."""

    key = " di"

    def check(self, value: Any) -> bool:
        if not isinstance(value, dict) or len(value) != 1:
            return False
        (only_key,) = value
        return only_key in self.serializer.tags

    def to_json(self, value: Any) -> Any:
        ((name, item),) = value.items()
        return {f"{name}__": self.serializer.tag(item)}

    def to_python(self, value: Any) -> Any:
        ((name, item),) = value.items()
        return {name.removesuffix("__"): item}


class PassDict(JSONTag):
    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {key: tag(item) for key, item in value.items()}


class TagTuple(JSONTag):
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]


class TagBytes(JSONTag):
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` (markupsafe's ``Markup`` and friends) comes back as ``Markup``."""

    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        return Markup(value)


class TagUUID(JSONTag):
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """Datetimes as HTTP dates: second precision, read back as timezone-aware UTC."""

    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        return parse_date(value)


# Values the built-in tags never change (bool is an int; a subclass of these still goes through
# the tags).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_BUILTIN_TAGS = frozenset(
    {TagDict, PassDict, TagTuple, PassList, TagBytes, TagMarkup, TagUUID, TagDateTime}
)


class TaggedJSONSerializer:
    """``dumps``/``loads`` with the registered tags. Tags are tried in order; the first whose
    ``check`` accepts a value converts it."""

    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        self.builtin_tags_only = True
        for tag_class in self.default_tags:
            self.register(tag_class)
        # Built once: json.dumps/loads with any option build a new encoder/decoder per call,
        # and the session cookie is read and written on every request that uses it.
        self.encoder = json.JSONEncoder(separators=(",", ":"))
        self.decoder = json.JSONDecoder(object_hook=self.untag)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag (last, or at ``index``). A key already taken raises ``KeyError`` unless
        ``force`` replaces the old tag."""
        tag = tag_class(self)
        if tag.key:
            if tag.key in self.tags and not force:
                raise KeyError(f"Tag '{tag.key}' is already registered.")
            self.tags[tag.key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)
        # A tag of the app's own may claim any value, so only the built-in ones allow skipping.
        self.builtin_tags_only = all(type(known) in _BUILTIN_TAGS for known in self.order)

    def tag(self, value: Any) -> Any:
        """``value`` with every part JSON cannot represent replaced by its tagged form."""
        kind = type(value)
        if self.builtin_tags_only:
            # No built-in tag changes a plain value, or a dict of them whose key is not a tag
            # key (a session of strings and numbers): nothing to check, nothing to copy.
            if kind in _PLAIN_TYPES:
                return value
            if kind is dict and (len(value) != 1 or next(iter(value)) not in self.tags):
                for item in value.values():
                    if type(item) not in _PLAIN_TYPES:
                        break
                else:
                    return value
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """The inverse of ``tag`` for one JSON object (used as the decoder's object hook, so
        inner objects are already converted when their container is read)."""
        if len(value) == 1:
            (key,) = value
            tag = self.tags.get(key)
            if tag is not None:
                return tag.to_python(value[key])
        return value

    def dumps(self, value: Any) -> str:
        return self.encoder.encode(self.tag(value))

    def loads(self, value: str | bytes) -> Any:
        text = value.decode("utf-8") if isinstance(value, bytes | bytearray) else value
        return self.decoder.decode(text)


__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]
