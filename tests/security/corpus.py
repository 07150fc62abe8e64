"""The bad-input corpus: hostile requests kept as data in ``corpus/*.yaml``, one record a case.

A record::

    - id: content-length-and-chunked        # unique across all files; the pytest id
      why: request smuggling, two framings   # what the case probes (quote it if it has ": ")
      send:                                  # the raw request, in order
        - "POST /_probe/json HTTP/1.1\\r\\n"     # a string: latin-1 bytes after ${var} expansion
        - {repeat: "a", times: 9000}         # a run of bytes (times may be a ${var})
        - {pause: 1.5}                       # stop writing for a while (slow clients)
        - {dribble: "X-A: b\\r\\n", every: 1} # write this every N seconds until the server acts
        - {wait: true}                       # stop writing; wait for the server's own timeout
      expect: [400, closed]                  # acceptable outcomes: status codes and/or words
      must_not_contain: ["create_app"]       # bytes that must not appear in the reply
      target: stack                          # stack (nginx, default) or app (gunicorn direct)
      head_only: false                       # true for HEAD: the reply has no body to wait for

YAML double-quoted strings give every byte a spelling: ``\\r``, ``\\n``, ``\\0``, ``\\t``,
``\\xNN``; strings are encoded as latin-1, so ``\\xff`` is the single byte 0xff. Variables:
``${host}`` (the ``Host`` a normal client would send), ``${body_limit}``, ``${over_body_limit}``
and ``${over_body_limit_hex}`` (for a chunk size).
Outcome words: ``closed`` (the server closed without a byte), ``http09`` (an answer without a
status line); ``timeout`` is never acceptable.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.security.rawhttp import Pause

CORPUS_DIR = Path(__file__).with_name("corpus")
OUTCOME_WORDS = {"closed", "http09"}
TARGETS = {"stack", "app"}
_CASE_KEYS = {"id", "why", "send", "expect", "must_not_contain", "target", "head_only"}
_PART_KEYS = {"repeat", "times", "pause", "dribble", "every", "wait"}


@dataclass(frozen=True)
class Case:
    id: str
    why: str
    send: tuple[Any, ...]
    expect: frozenset[str]
    source: str
    target: str = "stack"
    must_not_contain: tuple[str, ...] = ()
    head_only: bool = False
    # True when the case waits on a server timeout: the test allows the configured timeout.
    slow: bool = field(default=False)

    def build(self, variables: Mapping[str, Any], deadline: float) -> list[bytes | Pause]:
        """The case's bytes and pauses, with ``${vars}`` filled in."""
        parts: list[bytes | Pause] = []
        for part in self.send:
            if isinstance(part, str):
                parts.append(_expand(part, variables).encode("latin-1"))
            elif "repeat" in part:
                times = int(_expand(str(part["times"]), variables))
                parts.append(_expand(part["repeat"], variables).encode("latin-1") * times)
            elif "pause" in part:
                parts.append(Pause(float(part["pause"])))
            elif "dribble" in part:
                every = float(part["every"])
                chunk = _expand(part["dribble"], variables).encode("latin-1")
                for _ in range(math.ceil(deadline / every)):
                    parts += [Pause(every), chunk]
            elif "wait" in part:
                parts.append(Pause(deadline))
        return parts


def _expand(text: str, variables: Mapping[str, Any]) -> str:
    # substitute (not safe_substitute): a misspelt ${var} in a data file must fail the test.
    return string.Template(text).substitute({k: str(v) for k, v in variables.items()})


def _check_part(part: Any, where: str) -> None:
    if isinstance(part, str):
        return
    if not isinstance(part, dict) or not part or set(part) - _PART_KEYS:
        raise ValueError(f"{where}: a send part is a string or one of {sorted(_PART_KEYS)}")
    if "repeat" in part and "times" not in part:
        raise ValueError(f"{where}: repeat needs times")
    if "dribble" in part and "every" not in part:
        raise ValueError(f"{where}: dribble needs every")


def _parse_case(record: Any, source: str) -> Case:
    where = f"{source}: {record.get('id', '?') if isinstance(record, dict) else record!r}"
    if not isinstance(record, dict):
        raise ValueError(f"{where}: each case is a mapping")
    unknown = set(record) - _CASE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("id", "why", "send", "expect"):
        if key not in record:
            raise ValueError(f"{where}: missing {key!r}")
    send = record["send"]
    if not isinstance(send, list) or not send:
        raise ValueError(f"{where}: send is a non-empty list")
    for part in send:
        _check_part(part, where)
    expect = set()
    for outcome in record["expect"]:
        text = str(outcome)
        if not (text in OUTCOME_WORDS or (text.isdigit() and 100 <= int(text) <= 599)):
            raise ValueError(f"{where}: {text!r} is not a status code or one of {OUTCOME_WORDS}")
        expect.add(text)
    target = record.get("target", "stack")
    if target not in TARGETS:
        raise ValueError(f"{where}: target must be one of {sorted(TARGETS)}")
    slow = any(isinstance(p, dict) and ({"wait", "dribble", "pause"} & set(p)) for p in send)
    return Case(
        id=str(record["id"]),
        why=str(record["why"]),
        send=tuple(send),
        expect=frozenset(expect),
        source=source,
        target=target,
        must_not_contain=tuple(record.get("must_not_contain", ())),
        head_only=bool(record.get("head_only", False)),
        slow=slow,
    )


def load_corpus(directory: Path = CORPUS_DIR) -> list[Case]:
    """Every case in ``directory/*.yaml``, validated; duplicate ids are an error."""
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for record in document.get("cases", []):
            case = _parse_case(record, path.name)
            if case.id in seen:
                raise ValueError(f"{path.name}: id {case.id!r} already used in {seen[case.id]}")
            seen[case.id] = path.name
            cases.append(case)
    return cases
