"""`interlog doctor [--json]`: the app's Graph permissions and what capture can do with them.

Gets the app's token, reads the application permissions it carries (its `roles` claim),
sends one cheap request per configured mailbox for mail and for the calendar, and says what
capture can and cannot do. Exit 0 when capture can run, 1 (naming why) otherwise.
"""

from __future__ import annotations

import asyncio
import logging

import click

from interlog.cli.common import AppContext, pass_app, print_json, print_table
from storage.errors import InterlogError

YES_NO = {True: "yes", False: "no", None: "unknown"}


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def doctor(app: AppContext, as_json: bool) -> None:
    """Check the app's Graph permissions and that each mailbox can be read."""
    from connector.graph.checks import check_access

    # azure-identity also logs a failed token request as a warning: the report says it once.
    logging.getLogger("azure.identity").addHandler(logging.NullHandler())
    settings = app.settings
    report = asyncio.run(check_access(settings.graph, settings.sync))
    data = report.as_dict()
    if as_json:
        print_json(data)
    else:
        _print(data)
    if not report.ok:
        raise InterlogError(f"capture cannot run: {_why(data)}")


def _why(data: dict[str, object]) -> str:
    token = data["token"]
    assert isinstance(token, dict)
    if token["error"]:
        return f"no Graph token ({token['error']})"
    missing = data["missing"]
    if missing:
        assert isinstance(missing, list)
        return "the app lacks " + " and ".join(missing) + " (admin consent needed)"
    boxes = data["mailboxes"]
    assert isinstance(boxes, list)
    bad = [b for b in boxes if b["mail"] != "ok" or b["calendar"] != "ok"]
    return "; ".join(f"{b['mailbox']}: mail {b['mail']}, calendar {b['calendar']}" for b in bad)


def _capture_rows(data: dict[str, object]) -> list[list[str]]:
    capture = data["capture"]
    assert isinstance(capture, dict)
    policy = capture["unknown_privacy"]
    private_note = {
        True: "Mail.Read: Outlook's privacy marking is read ([sync] private_items applies)",
        False: f"not with Mail.ReadBasic.All: [sync] unknown_privacy = \"{policy}\" "
        + ("(logged as normal mail)" if policy == "log" else "(subject shown as \"Private\")"),
        None: "the token's roles cannot be read (not a JWT)",
    }[capture["private_mail"]]
    return [
        ["mail", YES_NO[capture["mail"]], "Mail.Read or Mail.ReadBasic.All"],
        ["private mail detected", YES_NO[capture["private_mail"]], private_note],
        ["meetings", YES_NO[capture["calendar"]], "Calendars.Read"],
        ["call records", YES_NO[capture["call_records"]], "CallRecords.Read.All"],
    ]


def _print(data: dict[str, object]) -> None:
    token = data["token"]
    assert isinstance(token, dict)
    if token["error"]:
        click.echo(f"token: not obtained: {token['error']}")
        return
    roles = data["roles"]
    shown = ", ".join(roles) if isinstance(roles, list) else "unknown (the token is not a JWT)"
    click.echo("token: obtained")
    click.echo(f"roles: {shown or '(none)'}")
    boxes = data["mailboxes"]
    assert isinstance(boxes, list)
    print_table("Mailboxes", ["mailbox", "mail", "calendar", "detail"],
                [[b["mailbox"], b["mail"], b["calendar"], b["detail"] or ""] for b in boxes])
    print_table("What capture can do", ["capture", "can", "needs / note"], _capture_rows(data))
