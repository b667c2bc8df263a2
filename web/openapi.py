"""The OpenAPI 3 description of `/api/v1`, written by hand (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from storage.models import SOURCES
from storage.outcomes import EVALUATIONS, MAX_NOTE_LINE
from web.api import CHANGES, MAX_LIMIT
from web.filters import FILTER_FIELDS, STATUSES


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


NOTE: dict[str, Any] = {
    "type": "string", "minLength": 1,
    "description": f"Each line is a note line (at most {MAX_NOTE_LINE} characters), added "
                   "after the entry's own",
}

ENTRY: dict[str, Any] = {
    "type": "object",
    "required": ["entry_no", "contact_no", "date", "time", "template_code", "canceled"],
    "properties": {
        "entry_no": {"type": "integer"},
        "contact_no": {"type": "string"},
        "contact_company_no": _nullable("string"),
        "contact_name": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "time": {"type": "string", "pattern": r"^\d{2}:\d{2}:\d{2}$"},
        "template_code": {"type": "string"},
        "group_code": {"type": "string"},
        "information_flow": _nullable("string", enum=["inbound", "outbound", None]),
        "initiated_by": _nullable("string", enum=["us", "them", None]),
        "subject": {"type": "string"},
        "duration_min": {"type": "number"},
        "cost": {"type": "number"},
        "correspondence_type": {"type": "string"},
        "canceled": {"type": "boolean"},
        "attempt_failed": {"type": "boolean"},
        "evaluation": {"type": "string", "enum": ["", *EVALUATIONS],
                       "description": "NAV's evaluation; \"\" until the entry is evaluated"},
        "note": {"type": "string",
                 "description": "NAV's comment lines, joined by \"\\n\"; \"\" for none"},
        "source": {"type": "string", "enum": list(SOURCES)},
        "user": _nullable("string"),
        "salesperson_code": {"type": "string"},
        "segment_no": _nullable("string"),
        "document_type": _nullable("string"),
        "document_no": _nullable("string"),
        "internet_message_id": _nullable("string"),
        "ical_uid": _nullable("string"),
        "web_link": _nullable("string"),
    },
}

NEW_INTERACTION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["contact", "template"],
    "properties": {
        "contact": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 254},
                              {"type": "integer", "minimum": 0}],
                    "description": "A contact number or one of the contact's email addresses"},
        "template": {"type": "string", "minLength": 1, "maxLength": 10},
        "subject": {"type": "string", "maxLength": 250},
        "date": {"type": "string", "description": "YYYY-MM-DD or an ISO 8601 date-time",
                 "example": "2025-03-14"},
        "duration_min": {"type": "number", "minimum": 0, "maximum": 99999999},
        "document_type": {"type": "string", "maxLength": 40, "example": "sales_invoice"},
        "document_no": {"type": "string", "maxLength": 40, "example": "SI-1001"},
        "cost": {"type": "number", "minimum": 0, "maximum": 99999999,
                 "description": "Default: the template's unit cost"},
        "attempt_failed": {"type": "boolean", "default": False,
                           "description": "A failed attempt to reach the contact"},
        "evaluation": {"type": "string", "enum": list(EVALUATIONS)},
        "note": NOTE,
    },
}

EVALUATION: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["evaluation"],
    "properties": {"evaluation": {"type": "string", "enum": list(EVALUATIONS)}},
}

NEW_NOTE: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["note"],
    "properties": {"note": NOTE},
}

ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["error", "status"],
    "properties": {"error": {"type": "string"}, "field": _nullable("string"),
                   "status": {"type": "integer"}},
}

FILTERS = tuple(name for name in FILTER_FIELDS if name != "status")  # status: an enum


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _entry(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Entry"}}}}


def _query(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if name in ("since", "until"):
        schema = {"type": "string", "format": "date"}
    if name == "source":
        schema = {"type": "string", "enum": list(SOURCES)}
    if name == "evaluation":
        schema = {"type": "string", "enum": list(EVALUATIONS)}
    return {"name": name, "in": "query", "required": False, "schema": schema}


SUMMARIES = {
    "cancel": "Cancel an entry recorded through the API (it leaves every total)",
    "restore": "Restore a canceled entry recorded through the API",
    "evaluate": "Evaluate an entry recorded through the API (canceled ones too)",
    "note": "Add note lines to an entry recorded through the API (canceled ones too)",
}
BODIES = {"evaluate": "Evaluation", "note": "NewNote"}


def _change(action: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{action}Interaction",
        "summary": SUMMARIES[action],
        "parameters": [{"$ref": "#/components/parameters/EntryNo"}],
        "responses": {"200": _entry("The entry"), "401": _error("Missing or wrong API key"),
                      "403": _error("Not an entry recorded through the API"),
                      "404": _error("No such entry")},
    }
    if action in BODIES:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{BODIES[action]}"}}}}
        operation["responses"]["400"] = _error("The body does not validate (the field is "
                                               "named)")
    return {"post": operation}


def _list_operation() -> dict[str, Any]:
    params = [_query(n) for n in FILTERS] + [
        {"name": "status", "in": "query", "schema": {"type": "string",
                                                     "enum": list(STATUSES)}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                    "maximum": MAX_LIMIT}},
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {"name": "after", "in": "query", "description": "Only entries numbered above this "
         "(the `next` link's cursor)", "schema": {"type": "integer", "minimum": 0}},
    ]
    page = {"type": "object", "required": ["entries", "totals"], "properties": {
        "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
        "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "after": {"type": ["integer", "null"]},
        "next": {"type": ["string", "null"], "description": "The page after this one"},
        "totals": {"type": "object", "properties": {
            "count": {"type": "integer"}, "cost": {"type": "number"},
            "duration_min": {"type": "number"}, "estimated": {"type": "boolean"}}}}}
    return {
        "operationId": "listInteractions",
        "summary": "The interaction log with the web page's filters (oldest first)",
        "parameters": params,
        "responses": {"200": {"description": "A page of entries and the totals (canceled "
                                             "left out)",
                              "content": {"application/json": {"schema": page}}},
                      "400": _error("An unknown filter or filter value"),
                      "401": _error("Missing or wrong API key")},
    }


def _post_operation() -> dict[str, Any]:
    return {
        "operationId": "recordInteraction",
        "summary": "Record an interaction (e.g. a document an ERP sent)",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                        "description": "A retry with the same key never logs twice"}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/NewInteraction"}}}},
        "responses": {
            "201": _entry("Recorded"), "200": _entry("A replay: the entry recorded before"),
            "400": _error("The body does not validate (the field is named)"),
            "401": _error("Missing or wrong API key"),
            "409": _error("The Idempotency-Key was used with a different body"),
            "413": _error("The body is too large"),
            "422": _error("Unknown contact or template"),
        },
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "interlog API", "version": "1",
                 "description": "Record interactions in interlog's interaction log from "
                                "other systems. Authenticate with `Authorization: Bearer "
                                "<key>` (keys come from `interlog api-keys create NAME`)."},
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": {
            "/api/v1/interactions": {"post": _post_operation(), "get": _list_operation()},
            "/api/v1/interactions/{entry_no}": {"get": {
                "operationId": "getInteraction", "summary": "One entry",
                "parameters": [{"$ref": "#/components/parameters/EntryNo"}],
                "responses": {"200": _entry("The entry"),
                              "401": _error("Missing or wrong API key"),
                              "404": _error("No such entry")}}},
            **{f"/api/v1/interactions/{{entry_no}}/{action}": _change(action)
               for action in CHANGES},
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "parameters": {"EntryNo": {"name": "entry_no", "in": "path", "required": True,
                                       "schema": {"type": "integer", "minimum": 0,
                                                  "maximum": 2**31 - 1}}},
            "schemas": {"Entry": ENTRY, "NewInteraction": NEW_INTERACTION, "Error": ERROR,
                        "Evaluation": EVALUATION, "NewNote": NEW_NOTE},
        },
    }
