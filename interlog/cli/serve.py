"""`interlog serve` (the web app on waitress) and `interlog teams-manifest` (the Teams package)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from interlog.cli.common import AppContext, pass_app
from storage.errors import InterlogError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: [server] host, "
              "127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default: [server] port, 8000; 0 picks a free one).")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Worker threads (of each process).")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes on the one port (one per core: a process runs Python "
                   "on one core at a time).")
@pass_app
def serve(app: AppContext, host: str | None, port: int | None, threads: int,
          processes: int) -> None:
    """Serve the bot, webhooks, notifications, pages and API on a production WSGI server.

    `[bot] allow_anonymous` is refused unless the host is a loopback address.
    """
    from interlog.app import create_app

    server_settings = replace(app.settings.server, host=host or app.settings.server.host,
                              port=app.settings.server.port if port is None else port)
    settings = replace(app.settings, server=server_settings)
    flask_app = create_app(settings, engine=app.engine)
    if processes == 1:
        _serve_here(flask_app, server_settings.host, server_settings.port, threads)
    else:
        _serve_forked(flask_app, app.engine, server_settings.host, server_settings.port,
                      threads, processes)


def _cannot_listen(host: str, port: int, exc: OSError | ValueError) -> InterlogError:
    """A port in use, a host that does not resolve, …: one line."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return InterlogError(f"cannot listen on {host}:{port}: {reason}")


def _serve_here(flask_app: Any, host: str, port: int, threads: int) -> None:
    """One process: waitress's threads in this one."""
    from interlog.wsgi import create_server

    try:
        server = create_server(flask_app, host=host, port=port, threads=threads)
    except (OSError, ValueError) as exc:
        raise _cannot_listen(host, port, exc) from None
    click.echo(f"interlog: serving on http://{host}:{server.effective_port} "
               f"(Ctrl-C to stop)", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _serve_forked(flask_app: Any, engine: Engine, host: str, port: int, threads: int,
                  processes: int) -> None:
    """`processes` workers forked on one listening socket (`interlog/prefork.py`), each with
    the app built here and a pool of its own."""
    from interlog import prefork

    try:
        sock = prefork.listen(host, port)
    except (OSError, ValueError) as exc:
        raise _cannot_listen(host, port, exc) from None
    click.echo(f"interlog: serving on http://{host}:{sock.getsockname()[1]} with {processes} "
               f"processes (Ctrl-C to stop)", err=True)
    try:
        prefork.workers(flask_app, engine, sock, threads=threads, processes=processes,
                        say=lambda line: click.echo(f"interlog: {line}", err=True)).run()
    finally:
        sock.close()


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
