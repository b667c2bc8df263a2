"""`/explain?q=…`: why an item was or was not logged (`connector/capture/explain.py`),
linked from each captured entry of the log and from each address of the unmatched list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from connector.capture.explain import NOT_KEPT, explain
from connector.surfaces import services
from storage.values import MAX_FILTER_CHARS, text_problem
from web.context import db
from web.routes import Route, add_routes


def explain_page() -> Any:
    """Every kept copy matching `q` (an internetMessageId, an iCalUId, an address or words
    of a subject), with its decision."""
    query = request.args.get("q", "").strip()
    if len(query) > MAX_FILTER_CHARS or text_problem(query) is not None:
        abort(400, description="q must be at most 254 characters of text")
    decisions = explain(db(), services().capture, query) if query else []
    return render_template("explain.html", query=query, decisions=decisions,
                           not_kept=NOT_KEPT if query and not decisions else None)


ROUTES: tuple[Route, ...] = (("/explain", "explain", explain_page, ("GET",)),)


def register_routes(bp: Blueprint) -> None:
    add_routes(bp, ROUTES)
