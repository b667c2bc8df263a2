"""`/communications/callRecords`: Teams call records and the PSTN call log, as Graph serves them.

What Microsoft documents (Working with the call records API; Get / List callRecords;
getPstnCalls; change notifications for callRecords), and this module does:

- a record is created after the call ends and kept 30 days: older ones are not listed, and
  `GET …/{id}` answers 404;
- `GET /communications/callRecords` lists records without their relationships (no
  `sessions`, no `participants_v2`), `$filter` on `startDateTime` (ge, gt, le, lt, joined by
  `and`) or `participants_v2/any(p:p/id eq '…')`, 60 a page (`Prefer: odata.maxpagesize`
  less), `@odata.nextLink` with a `$skiptoken`;
- `GET …/{id}` gives the record; `$expand` takes a single relationship: `sessions`
  (`sessions($expand=segments)` with each session's segments) or `participants_v2`;
  `GET …/{id}/sessions` and `GET …/{id}/participants_v2` list them;
- a record is updated after it is first created: its `version` grows (`update`);
- `getPstnCalls(fromDateTime=…,toDateTime=…)` (also `microsoft.graph.callRecords.getPstnCalls`):
  both bounds inclusive on the call's start, at most 90 days apart (400 otherwise), 1,000
  rows a page with `@odata.nextLink`.

Records and rows are kept as Graph's JSON. Changes are emitted to the store's listeners
(`Change(kind="callRecord")`), which is how `/subscriptions` on `/communications/callRecords`
notifies.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .auth import CALL_RECORDS
from .render import dumps
from .state import Change
from .tenant import parse_datetime
from .wire import GraphError, Req, Resp, json_resp

if TYPE_CHECKING:
    from .state import Store

KEPT = timedelta(days=30)
PSTN_MAX_RANGE = timedelta(days=90)
LIST_PAGE = 60
PSTN_PAGE = 1000
RELATIONSHIPS = ("sessions", "participants_v2")
_COND = re.compile(r"^\s*startdatetime\s+(ge|gt|le|lt)\s+(\S+)\s*$", re.IGNORECASE)
_PARTICIPANT = re.compile(r"^\s*participants_v2/any\(\w+:\w+/id\s+eq\s+'([^']+)'\)\s*$",
                          re.IGNORECASE)
_PSTN_ARGS = re.compile(r"^\s*fromdatetime=([^,]+),\s*todatetime=([^,]+)\s*$", re.IGNORECASE)
_OPS = {"ge": lambda a, b: a >= b, "gt": lambda a, b: a > b,
        "le": lambda a, b: a <= b, "lt": lambda a, b: a < b}  # fmt: skip


def _when(value: Any, where: str) -> datetime:
    try:
        return parse_datetime(value, where=where)
    except ValueError as exc:
        raise GraphError(400, "BadRequest", str(exc)) from None


def participant_ids(record: dict[str, Any]) -> tuple[str, ...]:
    """The ids of a record's participants (`participants_v2[].id`), as subscriptions filter."""
    return tuple(str(p.get("id")) for p in record.get("participants_v2") or () if p.get("id"))


class CallLog:
    """Call records and PSTN rows of the tenant. Shares the store's lock and listeners."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.records: dict[str, dict[str, Any]] = {}
        self.pstn: list[dict[str, Any]] = []

    # -- data (control API, tests, the demo) ------------------------------------------------
    def add_record(self, raw: dict[str, Any]) -> str:
        """Add a call record (Graph JSON with `sessions` and `participants_v2`); `version`
        starts at 1 unless given. Adding an existing id replaces it as an update."""
        if not isinstance(raw.get("id"), str) or not raw["id"]:
            raise ValueError("a call record needs an 'id'")
        for name in ("startDateTime", "endDateTime"):
            parse_datetime(raw.get(name), where=f"callRecord {name}")
        with self.store.lock:
            old = self.records.get(raw["id"])
            stored = copy.deepcopy(raw)
            stored.setdefault("version", 1 if old is None else int(old["version"]) + 1)
            stored["lastModifiedDateTime"] = self.store._now()
            self.records[raw["id"]] = stored
        self._emit(stored, "created" if old is None else "updated")
        return str(raw["id"])

    def update_record(self, record_id: str, changes: dict[str, Any]) -> int:
        """Apply a partial update (later data about the call): `version` grows by one."""
        with self.store.lock:
            old = self.records.get(record_id)
            if old is None:
                raise KeyError(f"no such call record: {record_id}")
            stored = {**copy.deepcopy(old), **copy.deepcopy(changes)}
            stored["version"] = int(old.get("version") or 1) + 1
            stored["lastModifiedDateTime"] = self.store._now()
            self.records[record_id] = stored
        self._emit(stored, "updated")
        return int(stored["version"])

    def add_pstn(self, row: dict[str, Any]) -> str:
        """Add a PSTN call log row (Graph's pstnCallLogRow JSON)."""
        if not isinstance(row.get("id"), str) or not row["id"]:
            raise ValueError("a PSTN call row needs an 'id'")
        parse_datetime(row.get("startDateTime"), where="pstnCallLogRow startDateTime")
        with self.store.lock:
            self.pstn = [r for r in self.pstn if r["id"] != row["id"]] + [copy.deepcopy(row)]
        return str(row["id"])

    def _emit(self, record: dict[str, Any], change_type: str) -> None:
        self.store._emit(Change("", "callRecord", record["id"], change_type,
                                participants=participant_ids(record)))

    def _live(self) -> list[dict[str, Any]]:
        cutoff = self.store.settings.clock() - KEPT
        with self.store.lock:
            found = [r for r in self.records.values()
                     if _when(r["endDateTime"], "endDateTime") >= cutoff]
        return sorted(found, key=lambda r: (_when(r["startDateTime"], "s"), r["id"]))

    # -- Graph ------------------------------------------------------------------------------
    async def handle(self, req: Req, rest: list[str]) -> tuple[Resp, str]:
        """`/communications/callRecords[…]` (rest: the segments after `communications`)."""
        if req.roles is not None and not req.roles & CALL_RECORDS:
            raise GraphError(403, "ErrorAccessDenied",
                             "Access is denied. Check credentials and try again.")
        if req.method != "GET":
            raise GraphError(405, "Request_BadRequest",
                             f"The method {req.method} is not allowed here.")
        lower = [s.lower() for s in rest]
        if lower == ["callrecords"]:
            return self.list_records(req), "callRecords"
        if len(rest) == 3 and lower[1].rsplit(".", 1)[-1] == "getpstncalls":
            return self.pstn_calls(req, rest[2]), "pstnCalls"
        if len(rest) >= 2 and lower[0] == "callrecords":
            record = self._record(rest[1])
            if len(rest) == 2:
                return self.get_record(req, record), "callRecord"
            if len(rest) == 3 and lower[2] in RELATIONSHIPS:
                name = RELATIONSHIPS[RELATIONSHIPS.index(lower[2])]
                values = self._related(record, name, "segments" in req.query.get("$expand", ""))
                return json_resp({"value": values}), "callRecord"
        raise GraphError(404, "ResourceNotFound",
                         f"Resource not found for the segment '{rest[-1] if rest else ''}'.")

    def _record(self, record_id: str) -> dict[str, Any]:
        with self.store.lock:
            record = self.records.get(record_id)
        cutoff = self.store.settings.clock() - KEPT
        if record is None or _when(record["endDateTime"], "endDateTime") < cutoff:
            raise GraphError(404, "NotFound", f"The call record '{record_id}' was not found.")
        return record

    def list_records(self, req: Req) -> Resp:
        skip = _skiptoken(req)
        test = _filter(req.query.get("$filter", ""))
        found = [r for r in self._live() if test(r)]
        size = min(LIST_PAGE, _max_page(req) or LIST_PAGE)
        page = [_summary(r) for r in found[skip : skip + size]]
        body: dict[str, Any] = {
            "@odata.context": f"{req.root}/v1.0/$metadata#communications/callRecords",
            "value": page}
        if skip + size < len(found):
            body["@odata.nextLink"] = _next(req, "/v1.0/communications/callRecords", skip + size)
        return Resp(200, dumps(body))

    def get_record(self, req: Req, record: dict[str, Any]) -> Resp:
        expand = [e for e in _split_expand(req.query.get("$expand", "")) if e]
        if len(expand) > 1:
            raise GraphError(400, "BadRequest",
                             "Only a single relationship can be expanded: sessions or "
                             "participants_v2.")
        body = _summary(record)
        for item in expand:
            name, _, inner = item.partition("(")
            if name.strip().lower() not in RELATIONSHIPS:
                raise GraphError(400, "BadRequest", f"Could not find a property named '{name}'.")
            key = RELATIONSHIPS[RELATIONSHIPS.index(name.strip().lower())]
            body[key] = self._related(record, key, "segments" in inner.lower())
        return json_resp({"@odata.context": f"{req.root}/v1.0/$metadata#communications/"
                          "callRecords/$entity", **body})

    @staticmethod
    def _related(record: dict[str, Any], name: str, segments: bool) -> list[dict[str, Any]]:
        values = copy.deepcopy(record.get(name) or [])
        if name == "sessions" and not segments:
            for session in values:
                session.pop("segments", None)
        return list(values)

    def pstn_calls(self, req: Req, args: str) -> Resp:
        found = _PSTN_ARGS.match(args)
        if found is None:
            raise GraphError(400, "BadRequest",
                             f"Expression expected in '{args}': fromDateTime=…,toDateTime=….")
        start = _when(found.group(1).strip("'"), "fromDateTime")
        end = _when(found.group(2).strip("'"), "toDateTime")
        if end - start > PSTN_MAX_RANGE:
            raise GraphError(400, "BadRequest",
                             "The fromDateTime and toDateTime values cannot be more than a "
                             "date range of 90 days.")
        with self.store.lock:
            rows = [r for r in self.pstn
                    if start <= _when(r["startDateTime"], "startDateTime") <= end]
        rows.sort(key=lambda r: (r["startDateTime"], r["id"]))
        skip = _skiptoken(req)
        body: dict[str, Any] = {"@odata.count": len(rows[skip : skip + PSTN_PAGE]),
                                "value": rows[skip : skip + PSTN_PAGE]}
        if skip + PSTN_PAGE < len(rows):
            path = f"/v1.0/communications/callRecords/getPstnCalls({quote(args, safe='=,:')})"
            body["@odata.nextLink"] = _next(req, path, skip + PSTN_PAGE)
        return Resp(200, dumps(body))


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its relationships (and without the deprecated fields, which stopped
    returning data in 2026)."""
    return {k: copy.deepcopy(v) for k, v in record.items()
            if k not in RELATIONSHIPS and k not in ("organizer", "participants")}


def _split_expand(value: str) -> list[str]:
    """`a($expand=b),c` → [`a($expand=b)`, `c`] (commas inside parentheses kept)."""
    parts, depth, current = [], 0, ""
    for ch in value:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    return [*parts, current.strip()]


def _filter(text: str) -> Any:
    """A record predicate from `$filter` (400 naming what is not supported)."""
    if not text.strip():
        return lambda record: True
    tests: list[Any] = []
    for part in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        cond, who = _COND.match(part), _PARTICIPANT.match(part)
        if cond is not None:
            op, value = _OPS[cond.group(1).lower()], _when(cond.group(2), "$filter")
            tests.append(lambda r, op=op, v=value: op(_when(r["startDateTime"], "s"), v))
        elif who is not None:
            pid = who.group(1)
            tests.append(lambda r, pid=pid: pid in participant_ids(r))
        else:
            raise GraphError(400, "BadRequest", f"Unsupported $filter clause '{part.strip()}': "
                             "only startDateTime (ge, gt, le, lt) and participants_v2/any.")
    return lambda record: all(test(record) for test in tests)


def _max_page(req: Req) -> int | None:
    value = req.prefer().get("odata.maxpagesize")
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def _skiptoken(req: Req) -> int:
    token = req.query.get("$skiptoken")
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["skip"])
    except (ValueError, KeyError, TypeError):
        raise GraphError(400, "BadRequest", "The $skiptoken is not valid.") from None


def _next(req: Req, path: str, skip: int) -> str:
    token = base64.urlsafe_b64encode(json.dumps({"skip": skip}).encode()).decode()
    keep = "".join(f"&{k}={v}" for k, v in req.query.items() if k == "$filter")
    keep = keep.replace(" ", "%20").replace("'", "%27")
    return f"{req.root}{path}?$skiptoken={token}{keep}"
