"""English and Spanish by the browser's Accept-Language; English strings are the keys."""

from __future__ import annotations

from decimal import Decimal

from flask import g, request

LANGUAGES = ("en", "es")

ES: dict[str, str] = {
    "Interaction log": "Registro de interacciones",
    "Templates & rules": "Plantillas y reglas",
    "Sync": "Sincronización",
    "Contact": "Contacto",
    "Company": "Empresa",
    "Template": "Plantilla",
    "Group": "Grupo",
    "Salesperson": "Vendedor",
    "User": "Usuario",
    "Source": "Origen",
    "From": "Desde",
    "To": "Hasta",
    "Status": "Estado",
    "Document no.": "N.º documento",
    "all": "todos",
    "any": "cualquiera",
    "active": "activas",
    "canceled": "canceladas",
    "Canceled": "Cancelada",
    "Active": "Activa",
    "Filter": "Filtrar",
    "Clear": "Limpiar",
    "Entry no.": "N.º mov.",
    "Date": "Fecha",
    "Time": "Hora",
    "Subject": "Asunto",
    "Duration (min)": "Duración (min)",
    "Cost": "Coste",
    "Cancel": "Cancelar",
    "Restore": "Restaurar",
    "Cancel selected": "Cancelar seleccionadas",
    "Restore selected": "Restaurar seleccionadas",
    "Delete canceled entries…": "Eliminar interacciones canceladas…",
    "Export CSV": "Exportar CSV",
    "Totals (canceled left out)": "Totales (sin las canceladas)",
    "Entries": "Movimientos",
    "Upcoming meetings": "Próximas reuniones",
    "No entries match these filters.": "Ningún movimiento cumple estos filtros.",
    "Previous": "Anterior",
    "Next": "Siguiente",
    "Page": "Página",
    "of": "de",
    "Delete canceled entries": "Eliminar interacciones canceladas",
    "canceled entries match these filters and will be deleted for good.":
        "interacciones canceladas cumplen estos filtros y se eliminarán definitivamente.",
    "Delete them": "Eliminarlas",
    "The canceled entries changed since the count was shown; check the new count.":
        "Las interacciones canceladas cambiaron desde el recuento; revise el nuevo recuento.",
    "Back": "Volver",
    "No canceled entries match these filters.":
        "Ninguna interacción cancelada cumple estos filtros.",
    "Deleted": "Eliminadas",
    "canceled entries.": "interacciones canceladas.",
    "Entries canceled:": "Movimientos cancelados:",
    "Entries restored:": "Movimientos restaurados:",
    "Select at least one entry.": "Seleccione al menos un movimiento.",
    "Only admins may delete entries.": "Solo los administradores pueden eliminar movimientos.",
    "Only admins may do this.": "Solo los administradores pueden hacer esto.",
    "Signed in as": "Sesión de",
    "Sign out": "Cerrar sesión",
    "Sign in": "Iniciar sesión",
    "development mode": "modo de desarrollo",
    "Contact statistics": "Estadísticas del contacto",
    "Number": "Número",
    "Name": "Nombre",
    "Type": "Tipo",
    "Emails": "Correos",
    "Interactions": "Interacciones",
    "By group": "Por grupo",
    "By direction": "Por dirección",
    "inbound": "entrante",
    "outbound": "saliente",
    "none": "ninguna",
    "Groups": "Grupos",
    "Templates": "Plantillas",
    "Setup": "Configuración",
    "Rules": "Reglas",
    "Code": "Código",
    "Description": "Descripción",
    "Information flow": "Flujo de información",
    "Initiated by": "Iniciado por",
    "Unit cost": "Coste unitario",
    "Unit duration (min)": "Duración unitaria (min)",
    "Correspondence": "Correspondencia",
    "Kind": "Tipo de evento",
    "Priority": "Prioridad",
    "Conditions": "Condiciones",
    "Upload a templates file (TOML)": "Subir un archivo de plantillas (TOML)",
    "Upload": "Subir",
    "Nothing was applied. Fix these errors and upload again:":
        "No se aplicó nada. Corrija estos errores y vuelva a subirlo:",
    "line": "línea",
    "Templates file applied.": "Archivo de plantillas aplicado.",
    "Choose a file first.": "Elija primero un archivo.",
    "Sync runs": "Ejecuciones de sincronización",
    "No sync runs yet.": "Aún no hay ejecuciones de sincronización.",
    "Unmatched addresses": "Direcciones sin contacto",
    "No unmatched addresses.": "No hay direcciones sin contacto.",
    "Create contact": "Crear contacto",
    "Started": "Inicio",
    "Finished": "Fin",
    "Mailbox": "Buzón",
    "Errors": "Errores",
    "Address": "Dirección",
    "Seen": "Vistas",
    "Last seen": "Última vez",
    "Page not found.": "Página no encontrada.",
    "Bad request": "Solicitud incorrecta",
    "Not allowed": "No permitido",
    "The form expired; please try again.": "El formulario caducó; inténtelo de nuevo.",
    "The upload is too large.": "El archivo es demasiado grande.",
    "Contact created:": "Contacto creado:",
    "Why": "Por qué",
    "Why was it logged, or not?": "¿Por qué se registró, o no?",
    "internetMessageId, iCalUId, address or subject words":
        "internetMessageId, iCalUId, dirección o palabras del asunto",
    "Explain": "Explicar",
    "Decision": "Decisión",
    "Reason": "Motivo",
    "Rule": "Regla",
    "Participant": "Participante",
    "Setting": "Configuración",
    "logged": "registrado",
    "skipped": "omitido",
    "entries logged from mail and meetings already read:":
        "entradas registradas del correo y las reuniones ya leídos:",
    "Select": "Seleccionar",
    "Skipped": "Omitidos",
    "Mailbox leases": "Concesiones de buzones",
    "Leased by": "Concedido a",
    "Lease expires": "La concesión vence",
    "Last synced": "Última sincronización",
    "Lag (s)": "Retraso (s)",
    "Syncs": "Sincronizaciones",
    "Pages": "Páginas",
    "Created": "Creadas",
    "Updated": "Actualizadas",
    "Actions": "Acciones",
    # An entry's outcome (issue 13): Mexican Spanish, as the rest.
    "Entry": "Movimiento",
    "Attempt failed": "Intento fallido",
    "Outcome": "Resultado",
    "Evaluation": "Evaluación",
    "Very positive": "Muy positiva",
    "Positive": "Positiva",
    "Neutral": "Neutral",
    "Negative": "Negativa",
    "Very negative": "Muy negativa",
    "Not evaluated": "Sin evaluar",
    "yes": "sí",
    "no": "no",
    "us": "nosotros",
    "them": "el contacto",
    "Note": "Nota",
    "No note yet.": "Aún no hay notas.",
    "Evaluate": "Evaluar",
    "Add note": "Agregar nota",
    "Evaluation saved.": "Evaluación guardada.",
    "Note added.": "Nota agregada.",
    "Only the entry's user or an admin may evaluate it or add a note.":
        "Solo el usuario del movimiento o un administrador puede evaluarlo o agregarle una nota.",
    "Audit trail": "Historial de cambios",
    "When": "Cuándo",
    "Who": "Quién",
    "Action": "Acción",
    "Details": "Detalles",
    "A company's statistics include the interactions of its persons.":
        "Las estadísticas de una empresa incluyen las interacciones de sus personas.",
    "Statistics": "Estadísticas",
    "Month": "Mes",
    "Canceled entries are left out.": "Las interacciones canceladas no se cuentan.",
    "Interactions per week by group": "Interacciones por semana y grupo",
    "the last %(n)s weeks": "las últimas %(n)s semanas",
    "Interactions per salesperson": "Interacciones por vendedor",
    "Top contacts": "Contactos con más interacciones",
    "Interactions by": "Interacciones por",
    "Last date interacted": "Última interacción",
    "Last date attempted": "Último intento",
    "(none)": "(ninguno)",
    "Only the %(shown)s rows with the most entries of %(count)s; interlog stats lists all.":
        "Solo las %(shown)s filas con más interacciones de %(count)s; interlog stats las da todas.",
    # The log window (issue 13 item 6)
    "Columns": "Columnas",
    "Show these columns": "Mostrar estas columnas",
    "Cancel reason": "Motivo de cancelación",
    "Open in Outlook": "Abrir en Outlook",
    "Only this contact, with these filters": "Solo este contacto, con estos filtros",
    "only": "solo",
    "Re-create interaction": "Volver a crear la interacción",
    "Re-created as": "Creada de nuevo como",
    "A new entry for the same contact and template, copied from this one, yours; today unless"
    " you give a date.": "Un movimiento nuevo para el mismo contacto y plantilla, copiado de"
    " este, a tu nombre; con fecha de hoy si no indicas otra.",
    "The whole audit trail of this entry": "Todo el historial de cambios de este movimiento",
    "Every change, newest first.": "Todos los cambios, del más reciente al más antiguo.",
    "Every change of an entry, newest first; the events that concern no entry (setup,"
    " imports, API keys) are shown to admins.": "Todos los cambios de movimientos, del más"
    " reciente al más antiguo; los que no tocan a un movimiento (configuración, importaciones,"
    " claves de API) solo los ven los administradores.",
    "No events match these filters.": "Ningún evento coincide con estos filtros.",
    "Newest": "Más recientes",
    "Older": "Anteriores",
    # Segments (issue 13 item 7): NAV's Agregar contactos / Reducir contactos, Registrar segmento.
    "Segments": "Segmentos",
    "Segment": "Segmento",
    "Contacts": "Contactos",
    "not logged": "sin registrar",
    "logged, canceled": "registrado, cancelado",
    "No segments yet.": "Aún no hay segmentos.",
    "New segment": "Nuevo segmento",
    "Add or remove contacts": "Agregar o quitar contactos",
    "Every criterion you fill in must hold; adding again with other criteria adds more. A"
    " contact already in the segment is not added twice.": "Se deben cumplir todos los"
    " criterios que llenes; si vuelves a agregar con otros criterios, se suman más. Un contacto"
    " que ya está en el segmento no se agrega dos veces.",
    "Contacts (numbers, emails or names, comma-separated)":
        "Contactos (números, correos o nombres, separados por comas)",
    "Persons of the company": "Personas de la empresa",
    "Email domain": "Dominio de correo",
    "Interacted from": "Con interacciones desde",
    "Interacted to": "Con interacciones hasta",
    "Add contacts": "Agregar contactos",
    "Reduce contacts": "Reducir contactos",
    "A filter of the log: paste the link of the log page (or of the statistics) with its"
    " filters": "Un filtro del registro: pega el enlace de la página del registro (o de las"
    " estadísticas) con sus filtros",
    "Add the contacts of those entries": "Agregar los contactos de esos movimientos",
    "Log segment": "Registrar segmento",
    "Log one interaction per contact": "Registrar una interacción por contacto",
    "Logged with template": "Registrado con la plantilla",
    "the segment is canceled": "el segmento está cancelado",
    "A logged segment's contacts cannot change.":
        "Los contactos de un segmento registrado ya no pueden cambiar.",
    "Cancel segment and its entries": "Cancelar el segmento y sus movimientos",
    "Restore segment and its entries": "Restaurar el segmento y sus movimientos",
    "Delete segment": "Eliminar segmento",
    "Its entries stay in the log, canceled, and can then be restored or deleted one by one.":
        "Sus movimientos se quedan en el registro, cancelados, y después se pueden restaurar o"
        " eliminar uno por uno.",
    "person": "persona",
    "company": "empresa",
    "No contacts yet.": "Aún no hay contactos.",
    "Only the first %(n)s are shown.": "Solo se muestran los primeros %(n)s.",
    "Segment created:": "Segmento creado:",
    "Contacts added:": "Contactos agregados:",
    "Contacts removed:": "Contactos quitados:",
    "in it already:": "ya estaban:",
    "not in it:": "no estaban:",
    "Contacts in the segment:": "Contactos en el segmento:",
    "Segment logged:": "Segmento registrado:",
    "entries": "movimientos",
    "Only the user who logged the segment or an admin may cancel or restore it.":
        "Solo el usuario que registró el segmento o un administrador puede cancelarlo o"
        " restaurarlo.",
    "no longer in the log:": "ya no están en el registro:",
    "Only admins may delete segments.": "Solo los administradores pueden eliminar segmentos.",
    "Segment deleted:": "Segmento eliminado:",
    "its entries stay in the log, canceled:": "sus movimientos se quedan en el registro,"
    " cancelados:",
}

CATALOGS = {"es": ES}


def language() -> str:
    lang: str | None = g.get("web_lang")
    if lang is None:
        lang = request.accept_languages.best_match(LANGUAGES, default="en") or "en"
        g.web_lang = lang
    return lang


def gettext(text: str) -> str:
    return CATALOGS.get(language(), {}).get(text, text)


def number(value: Decimal | float | int, places: int = 2) -> str:
    """`1234.5` → `1,234.50` in English, `1.234,50` in Spanish."""
    text = f"{Decimal(value):,.{places}f}"
    if language() == "es":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text
