"""`interlog emulator serve|generate`: the local Microsoft Graph and its data generator."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(name="emulator")
def emulator() -> None:
    """A local Microsoft Graph (mail and calendar) for demos, tests and benchmarks."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--tenant",
    "tenant_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Tenant JSON (default: a small generated tenant, in memory).",
)
@click.option("--max-page-size", default=1000, show_default=True, type=int)
@click.option("--mailbox-budget", default=10_000, show_default=True, type=int,
              help="Requests per mailbox per 10 minutes before 429.")  # fmt: skip
@click.option("--require-token", default=None, help="Accept only this bearer token.")
@click.option("--tls", "tls_dir", default=None, type=click.Path(file_okay=False),
              help="Serve https, with a new CA and certificate written to this directory "
                   "(ca.pem is what [graph] ca_file names).")  # fmt: skip
def serve(
    host: str,
    port: int,
    tenant_path: str | None,
    max_page_size: int,
    mailbox_budget: int,
    require_token: str | None,
    tls_dir: str | None,
) -> None:
    """Serve Graph v1.0 at http://HOST:PORT/v1.0 and the control API at /_emulator/."""
    import uvicorn

    from emulator import Emulator, EmulatorSettings
    from emulator.generate import generate

    settings = EmulatorSettings(
        max_page_size=max_page_size, mailbox_budget=mailbox_budget, require_token=require_token
    )
    try:
        tenant = tenant_path if tenant_path else generate().tenant
        emu = Emulator(tenant, settings)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    users = ", ".join(m.upn for m in emu.store.mailboxes.values())
    cert = key = None
    if tls_dir:
        from emulator.tls import make_tls

        Path(tls_dir).mkdir(parents=True, exist_ok=True)
        files = make_tls(Path(tls_dir))
        cert, key = str(files.cert_file), str(files.key_file)
        click.echo(f"Entra ID authority https://{host}:{port} (tenant "
                   f"{settings.tenant_id}); CA certificate {files.ca_file}", err=True)
    scheme = "https" if cert else "http"
    click.echo(f"Graph emulator on {scheme}://{host}:{port}/v1.0 — mailboxes: {users}", err=True)
    try:
        uvicorn.run(emu.app, host=host, port=port, log_level="warning", lifespan="off",
                    ssl_certfile=cert, ssl_keyfile=key)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    finally:
        emu.subscriptions.notifier.stop()


@emulator.command()
@click.option("--mailboxes", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--messages", default=200, show_default=True, type=click.IntRange(min=0),
              help="Messages per mailbox.")  # fmt: skip
@click.option("--events", default=40, show_default=True, type=click.IntRange(min=0),
              help="Events per mailbox.")  # fmt: skip
@click.option("--contacts", default=60, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--reference", default=None, help="ISO date-time the data is relative to (UTC).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def generate(
    mailboxes: int,
    messages: int,
    events: int,
    contacts: int,
    seed: int,
    reference: str | None,
    out_dir: str,
) -> None:
    """Write tenant.json, contacts.csv and templates.toml for a believable company."""
    from datetime import UTC, datetime

    from emulator import generate as gen

    when = None
    if reference:
        try:
            when = datetime.fromisoformat(reference)
        except ValueError:
            msg = f"--reference is not an ISO date-time: {reference}"
            raise click.ClickException(msg) from None
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    try:
        data = gen.generate(mailboxes, messages, events, contacts, seed, reference=when)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        paths = gen.write(data, Path(out_dir))
    except OSError as exc:
        raise click.ClickException(f"cannot write to {out_dir}: {exc.strerror}") from None
    for path in paths:
        click.echo(str(path))
