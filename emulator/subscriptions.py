"""`/subscriptions`: validation handshake, change and lifecycle notifications."""

from __future__ import annotations

import logging
import queue
import re
import threading
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

import httpx

from .auth import enforce_resource
from .render import dumps, immutable_id
from .settings import EmulatorSettings
from .state import Change, Store
from .tenant import parse_datetime
from .wire import GraphError, Req, Resp, json_resp, split_segments

log = logging.getLogger(__name__)
CHANGE_TYPES = {"created", "updated", "deleted"}
LIFECYCLE_EVENTS = {"reauthorizationRequired", "subscriptionRemoved", "missed"}
_STOP = object()
APP_ID = "00000000-0000-0000-0000-00000000e1e1"


class Notifier:
    """Delivers notification POSTs from a daemon thread, so Graph requests never wait."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        """Queue one POST."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="emulator-notify", daemon=True
                )
                self._thread.start()
        self.queue.put((url, dumps(payload)))

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as client:
            while (item := self.queue.get()) is not _STOP:
                url, body = item
                try:
                    client.post(url, content=body, headers={"Content-Type": "application/json"})
                    self.store.counters.bump("notifications")
                except httpx.HTTPError as exc:
                    log.warning("emulator: notification to %s failed: %s", url, exc)

    def stop(self) -> None:
        """Stop the delivery thread after what is queued."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self.queue.put(_STOP)
            thread.join(timeout=10)


def _parse_resource(store: Store, resource: str) -> tuple[str, str, str | None]:
    text = resource.split("/v1.0/", 1)[-1]
    if text.lstrip("/").split("?", 1)[0].lower() == "communications/callrecords":
        return "", "callRecord", None  # its `$filter` is read by `call_filter`
    segs = split_segments(text)
    lower = [s.lower() for s in segs]
    bad = GraphError(400, "InvalidRequest", f"Unsupported resource '{resource}'.")
    if len(segs) < 3 or lower[0] != "users":
        raise bad
    mb = store.mailbox(segs[1])
    if mb is None:
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{segs[1]}' is invalid.")
    if lower[2:] == ["messages"]:
        return mb.id, "message", None
    if len(segs) == 5 and lower[2] == "mailfolders" and lower[4] == "messages":
        folder = mb.folder(segs[3])
        if folder is None:
            raise GraphError(404, "ErrorItemNotFound", "The specified folder was not found.")
        return mb.id, "message", folder.id
    if lower[2:] == ["events"] or (
        len(segs) == 5 and lower[2] == "calendars" and lower[4] == "events"
    ):
        return mb.id, "event", None
    raise bad


_PARTICIPANT_IDS = re.compile(r"p/id\s+(?:eq\s+'([^']+)'|in\s+\(([^)]*)\))", re.IGNORECASE)


def call_filter(resource: str) -> frozenset[str] | None:
    """The participant ids of `/communications/callRecords?$filter=participants/any(p:p/id eq
    'x' or p/id eq 'y')` (or `p/id in ('x','y')`); None when the subscription has no filter."""
    query = unquote(resource.partition("?")[2])
    if "$filter=" not in query:
        return None
    ids: set[str] = set()
    for one, many in _PARTICIPANT_IDS.findall(query):
        ids.update([one] if one else [v.strip().strip("'") for v in many.split(",")])
    if not ids:
        raise GraphError(400, "InvalidRequest", f"Unsupported filter in '{resource}'.")
    return frozenset(ids)


class Subscriptions:
    """Active subscriptions and their delivery."""

    def __init__(self, store: Store, settings: EmulatorSettings) -> None:
        self.store = store
        self.settings = settings
        self.items: dict[str, dict[str, Any]] = {}
        self.notifier = Notifier(store)
        store.listeners.append(self.on_change)

    async def handle(self, req: Req, rest: list[str]) -> Resp:
        """Dispatch `/subscriptions[/{id}[/reauthorize]]`."""
        if not rest and req.method == "POST":
            return await self.create(req)
        if not rest and req.method == "GET":
            return json_resp({"value": [self._public(s) for s in self.items.values()]})
        sub = self.items.get(rest[0]) if rest else None
        if sub is None:
            raise GraphError(404, "ResourceNotFound", "The object was not found.")
        if len(rest) == 2 and rest[1].lower() == "reauthorize" and req.method == "POST":
            return Resp(200)
        if len(rest) == 1 and req.method == "GET":
            return json_resp(self._public(sub))
        if len(rest) == 1 and req.method == "PATCH":
            body = req.json()
            if not isinstance(body, dict) or "expirationDateTime" not in body:
                raise GraphError(400, "InvalidRequest", "expirationDateTime is required.")
            sub["expirationDateTime"] = self._expiry(body["expirationDateTime"])
            return json_resp(self._public(sub))
        if len(rest) == 1 and req.method == "DELETE":
            self.items.pop(sub["id"], None)
            return Resp(204)
        raise GraphError(405, "Request_BadRequest", f"The method {req.method} is not allowed here.")

    def _expiry(self, value: Any) -> str:
        try:
            when = parse_datetime(value, where="expirationDateTime")
        except ValueError:
            raise GraphError(
                400, "InvalidRequest", "expirationDateTime is not a date-time."
            ) from None
        now = self.settings.clock()
        if when <= now:
            raise GraphError(
                400, "InvalidRequest", "Subscription expiration can only be in the future."
            )
        if when > now + timedelta(minutes=self.settings.max_subscription_minutes):
            raise GraphError(
                400, "InvalidRequest",
                f"Subscription expiration can only be {self.settings.max_subscription_minutes} "
                "minutes in the future.",
            )  # fmt: skip
        return when.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")

    async def create(self, req: Req) -> Resp:
        """`POST /subscriptions` with the validation handshake."""
        body = req.json()
        if not isinstance(body, dict):
            raise GraphError(400, "InvalidRequest", "The request body must be a subscription.")
        for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise GraphError(400, "InvalidRequest", f"'{name}' is required.")
        kinds = {c.strip() for c in body["changeType"].split(",")}
        if not kinds <= CHANGE_TYPES:
            raise GraphError(400, "InvalidRequest", f"Invalid changeType '{body['changeType']}'.")
        if len(str(body.get("clientState") or "")) > 128:
            raise GraphError(400, "InvalidRequest", "clientState must be at most 128 characters.")
        mailbox_id, kind, folder_id = _parse_resource(self.store, body["resource"])
        enforce_resource(req.roles, kind)
        expiry = self._expiry(body["expirationDateTime"])
        for url in (body["notificationUrl"], body.get("lifecycleNotificationUrl")):
            if url:
                await self._validate(str(url))
        sub = {
            "id": str(uuid.uuid4()), "resource": body["resource"],
            "applicationId": APP_ID, "changeType": body["changeType"],
            "clientState": body.get("clientState"), "notificationUrl": body["notificationUrl"],
            "lifecycleNotificationUrl": body.get("lifecycleNotificationUrl"),
            "expirationDateTime": expiry, "creatorId": APP_ID,
            "latestSupportedTlsVersion": "v1_2", "includeResourceData": False,
            "_mailbox": mailbox_id, "_kind": kind, "_folder": folder_id, "_types": kinds,
            "_participants": call_filter(body["resource"]) if kind == "callRecord" else None,
            "_immutable": req.prefer().get("idtype", "").lower() == "immutableid",
        }  # fmt: skip
        self.items[sub["id"]] = sub
        return json_resp(
            {
                "@odata.context": f"{req.root}/v1.0/$metadata#subscriptions/$entity",
                **self._public(sub),
            },
            201,
        )

    async def _validate(self, url: str) -> None:
        token = (
            f"Validation: Testing client application reachability for subscription {uuid.uuid4()}"
        )
        sep = "&" if "?" in url else "?"
        failed = GraphError(
            400, "InvalidRequest",
            "Subscription validation request failed. Notification endpoint must respond with "
            "200 OK to validation request.",
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(timeout=self.settings.validation_timeout_s) as client:
                answer = await client.post(
                    f"{url}{sep}validationToken={quote(token)}",
                    headers={"Content-Type": "text/plain; charset=utf-8"},
                )
        except httpx.HTTPError:
            raise failed from None
        if answer.status_code != 200 or answer.text != token:
            raise failed

    @staticmethod
    def _public(sub: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in sub.items() if not k.startswith("_")}

    def _alive(self, sub: dict[str, Any]) -> bool:
        return bool(parse_datetime(sub["expirationDateTime"], where="x") > self.settings.clock())

    def on_change(self, change: Change) -> None:
        """Store listener: queue a notification for each matching subscription."""
        for sub in list(self.items.values()):
            if (sub["_mailbox"], sub["_kind"]) != (change.mailbox_id, change.kind):
                continue
            if change.kind == "callRecord":
                if self._alive(sub):
                    self._notify_call(sub, change)
                continue
            if (
                sub["_folder"] not in (None, change.folder_id)
                or change.change_type not in sub["_types"]
            ):
                continue
            if not self._alive(sub):
                continue
            item_id = immutable_id(change.item_id) if sub["_immutable"] else change.item_id
            kind = "Messages" if change.kind == "message" else "Events"
            resource = f"Users/{change.mailbox_id}/{kind}/{item_id}"
            value = {
                "subscriptionId": sub["id"], "clientState": sub["clientState"],
                "changeType": change.change_type, "resource": resource,
                "subscriptionExpirationDateTime": sub["expirationDateTime"],
                "tenantId": self.settings.tenant_id,
                "resourceData": {
                    "@odata.type": f"#Microsoft.Graph.{kind[:-1]}", "@odata.id": resource,
                    "id": item_id,
                },
            }  # fmt: skip
            self.notifier.send(sub["notificationUrl"], {"value": [value]})

    def _notify_call(self, sub: dict[str, Any], change: Change) -> None:
        """A call record notification; a subscription filtered by participant ids notifies
        only records with one of them (Microsoft: `participants/any(p:p/id eq '…')`)."""
        types = sub["_types"]  # "updated": the first sighting and every version bump
        if change.change_type not in types and "updated" not in types:
            return
        wanted = sub["_participants"]
        if wanted is not None and not wanted & set(change.participants):
            return
        resource = f"communications/callRecords/{change.item_id}"
        value = {
            "subscriptionId": sub["id"], "clientState": sub["clientState"],
            "changeType": change.change_type, "resource": resource,
            "subscriptionExpirationDateTime": sub["expirationDateTime"],
            "tenantId": self.settings.tenant_id,
            "resourceData": {"oDataType": "#microsoft.graph.callrecord",
                             "oDataId": resource, "id": change.item_id},
        }  # fmt: skip
        self.notifier.send(sub["notificationUrl"], {"value": [value]})

    def lifecycle(self, sub_id: str, event: str) -> None:
        """Send a lifecycle notification (`subscriptionRemoved` also drops the subscription)."""
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(f"lifecycle event must be one of {sorted(LIFECYCLE_EVENTS)}")
        sub = self.items.get(sub_id)
        if sub is None:
            raise KeyError(f"no such subscription: {sub_id}")
        url = sub["lifecycleNotificationUrl"] or sub["notificationUrl"]
        value = {
            "subscriptionId": sub_id, "subscriptionExpirationDateTime": sub["expirationDateTime"],
            "tenantId": self.settings.tenant_id, "clientState": sub["clientState"],
            "lifecycleEvent": event,
        }  # fmt: skip
        if event == "subscriptionRemoved":
            self.items.pop(sub_id, None)
        self.notifier.send(url, {"value": [value]})
