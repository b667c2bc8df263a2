"""interlog's configuration: one TOML file, loaded once into frozen, typed settings.

Each package declares the settings it needs (`connector/settings.py`, `bot/settings.py`,
`web/settings.py`); this module reads the file and the environment and builds them all into
one `Settings`, which satisfies each package's own protocol. Secrets may also come from the
environment; they are held as `Secret`, whose repr and str never show the value.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from bot.settings import BotSettings
from connector.settings import (
    ConfigError,
    GraphSettings,
    Secret,
    ServerSettings,
    SyncSettings,
    UserSettings,
    WorkerSettings,
)
from storage.values import text_problem
from web.settings import WebSettings

__all__ = [
    "BotSettings", "ConfigError", "GraphSettings", "Secret", "ServerSettings", "Settings",
    "StorageSettings", "SyncSettings", "UserSettings", "WebSettings", "WorkerSettings",
    "load_settings", "settings_from_dict",
]

DEFAULT_DB_URL = "sqlite:///interlog.db"


@dataclass(frozen=True)
class StorageSettings:
    url: str = DEFAULT_DB_URL


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = StorageSettings()
    graph: GraphSettings = GraphSettings()
    sync: SyncSettings = SyncSettings()
    users: tuple[UserSettings, ...] = ()
    server: ServerSettings = ServerSettings()
    worker: WorkerSettings = WorkerSettings()
    web: WebSettings = WebSettings()
    bot: BotSettings = BotSettings()


SECTIONS: dict[str, type] = {
    "storage": StorageSettings,
    "graph": GraphSettings,
    "sync": SyncSettings,
    "server": ServerSettings,
    "worker": WorkerSettings,
    "web": WebSettings,
    "bot": BotSettings,
}

# Secrets that may come from the environment when the file leaves them empty.
SECRET_ENV = {
    ("graph", "client_secret"): "INTERLOG_GRAPH_CLIENT_SECRET",
    ("bot", "app_password"): "INTERLOG_BOT_APP_PASSWORD",
    ("bot", "outgoing_webhook_secret"): "INTERLOG_BOT_WEBHOOK_SECRET",
    ("web", "client_secret"): "INTERLOG_WEB_CLIENT_SECRET",
    ("web", "secret_key"): "INTERLOG_WEB_SECRET_KEY",
}

RANGES = {("server", "port"): (0, 65535), ("worker", "keep_history_days"): (1, 36_500)}

ENUMS = {
    ("graph", "cloud"): ("global", "usgov", "usgov-dod", "china"),
    ("sync", "private_items"): ("skip", "redact", "log"),
    ("sync", "unknown_privacy"): ("log", "redact"),
}


def _coerce(where: str, name: str, value: Any, default: Any) -> Any:
    for text in value if isinstance(value, list) else [value]:
        problem = text_problem(text) if isinstance(text, str) else None
        if problem is not None:  # a NUL: PostgreSQL refuses it at the first seed
            raise ConfigError(f"{where}.{name} {problem}")
    if isinstance(default, Secret):
        if not isinstance(value, str):
            raise ConfigError(f"{where}.{name} must be a string")
        return Secret(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{name} must be true or false, not {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}.{name} must be an integer, not {value!r}")
        if value < 0:
            raise ConfigError(f"{where}.{name} must not be negative")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}.{name} must be a list of strings")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{name} must be a string, not {value!r}")
    return value


def _section(name: str, cls: type, raw: Any, env: Mapping[str, str]) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"unknown key [{name}] {unknown[0]}")
    defaults = cls() if name != "user" else None
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(defaults, key) if defaults is not None else _user_default(key)
        values[key] = _coerce(f"[{name}]", key, value, default)
        allowed = ENUMS.get((name, key))
        if allowed and values[key] not in allowed:
            raise ConfigError(f"[{name}] {key} = {value!r}: expected one of {', '.join(allowed)}")
        bounds = RANGES.get((name, key))
        if bounds and not bounds[0] <= values[key] <= bounds[1]:
            raise ConfigError(f"[{name}] {key} = {value!r}: expected {bounds[0]} to {bounds[1]}")
    for (section, key), var in SECRET_ENV.items():
        if section == name and not values.get(key) and env.get(var):
            values[key] = Secret(env[var])
    return cls(**values)


def _user_default(key: str) -> Any:
    return {"upn": "", "salesperson_code": "", "aad_object_id": "", "admin": False,
            "time_zone": ""}[key]


def _users(raw: Any) -> tuple[UserSettings, ...]:
    if not isinstance(raw, list):
        raise ConfigError("[[user]] must be an array of tables")
    if not raw:
        return ()
    # Imported only for users to check (SQLAlchemy Core: `--help` loads none of it).
    from storage.user_values import user_problem

    users: list[UserSettings] = []
    for number, item in enumerate(raw, 1):
        if isinstance(item, dict) and not item.get("upn"):
            raise ConfigError(f"[[user]] #{number} needs an upn")
        user = _section("user", UserSettings, item, {})
        problem = user_problem(user)
        if problem is not None:
            raise ConfigError(f"[[user]] #{number} {user.upn!r}: {problem}")
        _check_unique(users, user, number)
        users.append(user)
    return tuple(users)


def _check_unique(earlier: list[UserSettings], user: UserSettings, number: int) -> None:
    """UPNs are compared case-insensitively (the pages and the bot look them up so), and an
    Entra object id names one person: a second `[[user]]` for either is an error naming both."""
    from storage.user_values import normal_upn

    for position, other in enumerate(earlier, 1):
        if normal_upn(other.upn) == normal_upn(user.upn):
            raise ConfigError(f"[[user]] #{position} {other.upn!r} and #{number} {user.upn!r} are"
                              " the same user (UPNs ignore case): keep one")
        aad = user.aad_object_id.strip()
        if aad and other.aad_object_id.strip() == aad:
            raise ConfigError(f"[[user]] #{position} {other.upn!r} and #{number} {user.upn!r}"
                              f" have the same aad_object_id {aad!r}: keep one")


def settings_from_dict(data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """Validate parsed TOML (and secrets from `env`) into `Settings`."""
    env = os.environ if env is None else env
    unknown = sorted(set(data) - set(SECTIONS) - {"user"})
    if unknown:
        raise ConfigError(f"unknown section [{unknown[0]}]")
    parts = {name: _section(name, cls, data.get(name, {}), env) for name, cls in SECTIONS.items()}
    return Settings(users=_users(data.get("user", [])), **parts)


def load_settings(
    path: Path | None = None, *, db_url: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Load the config file (`path`, else $INTERLOG_CONFIG, else ./interlog.toml if present).

    The database URL is `db_url`, else $INTERLOG_DB_URL, else `[storage] url`.
    """
    env = os.environ if env is None else env
    if path is None and env.get("INTERLOG_CONFIG"):
        path = Path(env["INTERLOG_CONFIG"])
    if path is None and Path("interlog.toml").exists():
        path = Path("interlog.toml")
    data: dict[str, Any] = {}
    if path is not None:
        try:
            # utf-8-sig: a byte-order mark (Notepad adds one) is accepted, as the CSV import does
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {path}: {exc}") from None
    settings = settings_from_dict(data, env)
    url = db_url or env.get("INTERLOG_DB_URL")
    if url:
        settings = _replace_storage(settings, url)
    return settings


def _replace_storage(settings: Settings, url: str) -> Settings:
    return replace(settings, storage=StorageSettings(url=url))
