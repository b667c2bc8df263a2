"""`interlog doctor`'s access check asks for CallRecords.Read.All when calls are on, and the
emulator refuses call records to a token without it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from connector.graph.checks import check_access
from emulator import EmulatorServer
from tests.support.calls import TENANT, settings
from tests.support.emulator import app_token, with_roles

ROLES = ("Mail.Read", "Calendars.Read", "User.ReadBasic.All")


@pytest.mark.parametrize(("calls", "missing"), [(True, ["CallRecords.Read.All"]), (False, [])])
def test_doctor_names_the_call_records_permission_when_calls_are_on(
    calls: bool, missing: list[str]
) -> None:
    with EmulatorServer.start(with_roles(TENANT, *ROLES)) as emu:
        token = app_token(emu)
        config = settings(emu.base_url, calls=calls)
        graph = replace(config.graph, static_token=replace(config.graph.static_token,
                                                           value=token))
        report = asyncio.run(check_access(graph, config.sync))
        assert report.missing == missing
        assert report.ok is (not calls)
        assert report.capture["call_records"] is False
        refused = httpx.get(f"{emu.base_url}/communications/callRecords",
                            headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "ErrorAccessDenied"
