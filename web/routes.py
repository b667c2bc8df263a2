"""Route tables: each page module lists its (rule, endpoint, view, methods) and adds them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint

Route = tuple[str, str, Callable[..., Any], tuple[str, ...]]


def add_routes(bp: Blueprint, routes: Iterable[Route]) -> None:
    for rule, endpoint, view, methods in routes:
        bp.add_url_rule(rule, endpoint, view, methods=list(methods))
