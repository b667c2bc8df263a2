"""`interlog serve` (the web app on waitress) and `interlog teams-manifest` (the Teams package)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from interlog.cli.common import AppContext, pass_app
from storage.errors import InterlogError


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: [server] host, "
              "127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: [server] port, 8000; 0 picks a free one).")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Worker threads.")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None, threads: int) -> None:
    """Serve the bot, webhooks, notifications, pages and API on a production WSGI server.

    `[bot] allow_anonymous` is refused unless the host is a loopback address.
    """
    from interlog.app import create_app
    from interlog.wsgi import create_server

    server_settings = replace(app.settings.server, host=host or app.settings.server.host,
                              port=app.settings.server.port if port is None else port)
    settings = replace(app.settings, server=server_settings)
    flask_app = create_app(settings, engine=app.engine)
    try:
        server = create_server(flask_app, host=server_settings.host,
                               port=server_settings.port, threads=threads)
    except (OSError, ValueError) as exc:  # port in use, a host that does not resolve, …
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InterlogError(f"cannot listen on {server_settings.host}:{server_settings.port}: "
                            f"{reason}") from None
    bound_port = server.effective_port
    click.echo(f"interlog: serving on http://{server_settings.host}:{bound_port} "
               f"(Ctrl-C to stop)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@click.command("teams-manifest")
@click.option("--app-id", required=True, help="The bot's Microsoft App ID (Azure Bot).")
@click.option("--endpoint", required=True,
              help="The public messaging endpoint, https://…/api/messages.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the app package (.zip).")
@click.option("--name", default="interlog", show_default=True, help="The app's name in Teams.")
def teams_manifest(app_id: str, endpoint: str, out: Path, name: str) -> None:
    """Write the Teams app package (manifest with the bot and its commands, two icons)."""
    from bot.manifest import write_package

    write_package(out, app_id=app_id, endpoint=endpoint, name=name)
    click.echo(f"wrote {out}: upload it in Teams → Apps → Manage your apps → Upload an app")
