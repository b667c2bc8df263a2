"""The bot's words in English and Spanish; the activity's `locale` picks the language."""

from __future__ import annotations

LANGUAGES = ("en", "es")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "logged": "Logged #{entry_no}",
        "canceled": "Canceled #{entry_no}",
        "restored": "Restored #{entry_no}",
        "already_canceled": "#{entry_no} was already canceled",
        "already_active": "#{entry_no} was not canceled",
        "cancel": "Cancel",
        "restore": "Restore",
        "contact": "Contact",
        "template": "Template",
        "subject": "Subject",
        "duration": "Duration",
        "flow": "Direction",
        "date": "Date",
        "failed": "Attempt failed",
        "open_outlook": "Open in Outlook",
        "minutes": "{n} min",
        "inbound": "inbound",
        "outbound": "outbound",
        "yes": "yes",
        "evaluation": "Evaluation",
        "note": "Note",
        "very_positive": "very positive",
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "very_negative": "very negative",
        "show_title": "Last interactions with {name} ({no})",
        "show_empty": "No active interactions with {name} ({no}) yet.",
        "show_upcoming": "Upcoming meetings:",
        "templates_title": "Interaction templates",
        "templates_empty": "No interaction templates yet; an admin runs `interlog init`.",
        "ambiguous": "{ref!r} matches several contacts; pick one:",
        "unknown": "No contact matches {ref!r}.",
        "unknown_close": "No contact matches {ref!r}; did you mean one of these?",
        "unmapped": (
            "Your Teams account is not mapped to an interlog user; ask an admin to add your "
            "AAD object id ({aad}) to a [[user]] entry."
        ),
        "entry_not_found": "There is no interaction log entry #{entry_no}; nothing was changed.",
        "not_yours": "Entry #{entry_no} is not yours; only an admin may change it.",
        "bad_entry_no": "Say which entry, e.g. `cancel 1234`.",
        "bad_log": (
            "I could not read that. Say e.g. `log call with Jane Doe yesterday at 15:00 about"
            " renewal 15 min`."
        ),
        "bad_duration": "The duration must be between 0 and 10000 minutes, not {value}.",
        "future": (
            "{said!r} is {moment}, still to come (it is {now} for you): a log records what has"
            " happened. Log it once it has."
        ),
        "bad_date": "{value} is not a date. Say e.g. `on 2026-11-30` or `yesterday`.",
        "ambiguous_date": (
            "{value} could be day/month or month/day: write it as year-month-day, e.g."
            " `on 2026-11-03`."
        ),
        "bad_time": "{value} is not a time of day. Say e.g. `at 15:00` or `at 3pm`.",
        "two_dates": "Say one date only (e.g. `yesterday` or `on 2026-11-30`).",
        "two_times": "Say one time only (e.g. `at 15:00`).",
        "empty_note": "Say what the note is after `note:`, e.g. `note: call back Monday`.",
        "need_ref": "Say which contact, e.g. `show Jane Doe`.",
        "unknown_command": "I don't know {word!r}.",
        "did_you_mean": "Did you mean `{suggestion}`?",
        "help_title": "I log your interactions with contacts. Commands:",
        "sorry": "Sorry, something went wrong on my side (ref {ref}). Nothing was changed.",
        "unknown_action": "That button is not valid any more.",
    },
    "es": {
        "logged": "Registrado #{entry_no}",
        "canceled": "Cancelado #{entry_no}",
        "restored": "Restaurado #{entry_no}",
        "already_canceled": "#{entry_no} ya estaba cancelado",
        "already_active": "#{entry_no} no estaba cancelado",
        "cancel": "Cancelar",
        "restore": "Restaurar",
        "contact": "Contacto",
        "template": "Plantilla",
        "subject": "Asunto",
        "duration": "Duración",
        "flow": "Dirección",
        "date": "Fecha",
        "failed": "Intento fallido",
        "open_outlook": "Abrir en Outlook",
        "minutes": "{n} min",
        "inbound": "entrante",
        "outbound": "saliente",
        "yes": "sí",
        "evaluation": "Evaluación",
        "note": "Nota",
        "very_positive": "muy positiva",
        "positive": "positiva",
        "neutral": "neutral",
        "negative": "negativa",
        "very_negative": "muy negativa",
        "show_title": "Últimas interacciones con {name} ({no})",
        "show_empty": "Aún no hay interacciones activas con {name} ({no}).",
        "show_upcoming": "Próximas reuniones:",
        "templates_title": "Plantillas de interacción",
        "templates_empty": "Aún no hay plantillas; un administrador ejecuta `interlog init`.",
        "ambiguous": "{ref!r} coincide con varios contactos; elija uno:",
        "unknown": "Ningún contacto coincide con {ref!r}.",
        "unknown_close": "Ningún contacto coincide con {ref!r}; ¿quería decir uno de estos?",
        "unmapped": (
            "Su cuenta de Teams no está asociada a un usuario de interlog; pida a un "
            "administrador que añada su AAD object id ({aad}) a una entrada [[user]]."
        ),
        "entry_not_found": "No existe el movimiento #{entry_no}; no se ha cambiado nada.",
        "not_yours": "El movimiento #{entry_no} no es suyo; solo un administrador puede cambiarlo.",
        "bad_entry_no": "Indique el movimiento, p. ej. `cancelar 1234`.",
        "bad_log": (
            "No lo he entendido. Diga p. ej. "
            "`registrar llamada con Jane Doe ayer a las 15:00 sobre renovación 15 min`."
        ),
        "bad_duration": "La duración debe estar entre 0 y 10000 minutos, no {value}.",
        "future": (
            "{said!r} es {moment}, que aún no llega (su hora ahora: {now}): el registro"
            " recoge lo que ya ocurrió. Regístrelo cuando ocurra."
        ),
        "bad_date": "{value} no es una fecha. Diga p. ej. `el 30/11` o `ayer`.",
        "ambiguous_date": "{value} no es una fecha clara: escríbala como `el 30/11/2026`.",
        "bad_time": "{value} no es una hora. Diga p. ej. `a las 15:00`.",
        "two_dates": "Indique una sola fecha (p. ej. `ayer` o `el 30/11`).",
        "two_times": "Indique una sola hora (p. ej. `a las 15:00`).",
        "empty_note": "Escriba la nota después de `nota:`, p. ej. `nota: llamar el lunes`.",
        "need_ref": "Indique el contacto, p. ej. `mostrar Jane Doe`.",
        "unknown_command": "No conozco {word!r}.",
        "did_you_mean": "¿Quería decir `{suggestion}`?",
        "help_title": "Registro sus interacciones con contactos. Comandos:",
        "sorry": "Lo siento, algo ha fallado por mi parte (ref {ref}). No se ha cambiado nada.",
        "unknown_action": "Ese botón ya no es válido.",
    },
}


def language(locale: str | None) -> str:
    """`es`, `es-ES`, `es_MX` → Spanish; anything else (or nothing) → English."""
    if locale and locale.strip().lower().replace("_", "-").split("-")[0] == "es":
        return "es"
    return "en"


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in `lang` (English when missing), formatted with `values`."""
    template = MESSAGES.get(lang, MESSAGES["en"]).get(key) or MESSAGES["en"][key]
    return template.format(**values)
