"""Gradio's own words in Dutch, whatever language the browser asks for.

Gradio picks its interface language from the browser (an en-US browser gets "Drop File Here",
"Copy message", "Like"). The app is Dutch, so its Dutch texts are registered for every language
Gradio ships: Gradio's Dutch pack where it has the key, our own wording where it has a gap
(``chatbot.copy_message`` and ``common.download_all`` have none, for instance). The keys are
Gradio 6's (``gradio/templates/frontend``: the English pack in ``core-*.js``), limited to the
components this app uses. Flat keys ("chatbot.like") are looked up before Gradio's nested
built-in ones, so these win.

Strings Gradio writes without a key cannot be translated this way. Visible ones (the chat's
"Copy conversation", the image's and the table's "Fullscreen" and "Copy table data") belong to
controls ``ui.app`` leaves out; the labels screen readers read out ("chatbot conversation",
"Click to upload or drop files") are replaced in the page by ``ARIA_SCRIPT``.

>>> DUTCH["upload_text.drop_file"], DUTCH["chatbot.dislike"]
('Sleep bestanden hierheen', 'Vind ik niet leuk')
"""

from __future__ import annotations

import json

import gradio as gr

# Every interface language of Gradio 6 (its lang/*.json packs).
GRADIO_LOCALES = (
    "ar ca ckb de en es et eu fa fi fr he hi id ja ko lt nb nl pl pt-BR pt ro ru sv ta th tr "
    "uk ur uz zh-CN zh-TW"
).split()

DUTCH: dict[str, str] = {
    "blocks.connection_can_break": (
        "Op mobiel kan de verbinding verbroken worden als dit tabblad niet actief is of "
        "het apparaat in slaapstand gaat, waardoor je plaats in de wachtrij verloren "
        "gaat."
    ),
    "blocks.long_requests_queue": (
        "Er is een lange wachtrij van aanvragen. Dupliceer deze Space om de wachtrij over te slaan."
    ),
    "blocks.lost_connection": (
        "Verbinding verloren door het verlaten van de pagina. Opnieuw aansluiten in de wachtrij..."
    ),
    "blocks.waiting_for_inputs": (
        "Wachten tot het uploaden van bestand(en) is voltooid, probeer het opnieuw."
    ),
    "chatbot.edit": "Bewerken",
    "chatbot.retry": "Opnieuw proberen",
    "chatbot.undo": "Ongedaan maken",
    "chatbot.submit": "Verzenden",
    "chatbot.cancel": "Annuleren",
    "chatbot.like": "Vind ik leuk",
    "chatbot.dislike": "Vind ik niet leuk",
    "chatbot.clear": "Gesprek wissen",
    "chatbot.complete": "Klaar",
    "chatbot.copy_message": "Bericht kopiëren",
    "chatbot.copied_message": "Bericht gekopieerd",
    "checkbox.checkbox": "Selectievakje",
    "checkbox.checkbox_group": "Selectievakjesgroep",
    "common.built_with": "Gebouwd met",
    "common.built_with_gradio": "Gemaakt met Gradio",
    "common.clear": "Wissen",
    "common.download": "Downloaden",
    "common.download_all": "Alles downloaden",
    "common.edit": "Bewerken",
    "common.empty": "Leeg",
    "common.error": "Fout",
    "common.hosted_on": "Gehost op",
    "common.loading": "Laden",
    "common.logo": "Logo",
    "common.or": "of",
    "common.remove": "Verwijderen",
    "common.runs": "Eerdere runs",
    "common.runs_description": "Runs bekijken die in deze browser zijn bewaard",
    "common.back_to_app": "App",
    "common.back_to_app_description": "Terug naar de app",
    "common.settings": "Instellingen",
    "common.share": "Delen",
    "common.submit": "Verzenden",
    "common.undo": "Ongedaan maken",
    "common.no_devices": "Geen apparaten gevonden",
    "common.language": "Taal",
    "common.display_theme": "Weergavethema",
    "common.pwa": "Progressieve Web App",
    "common.progress": "Voortgang",
    "common.record": "Opnemen",
    "common.stop_recording": "Opname stoppen",
    "common.screen_studio": "Schermstudio",
    "common.share_gradio_tab": "[Delen] Gradio-tabblad",
    "common.run": "Uitvoeren",
    "dataframe.incorrect_format": (
        "Onjuist formaat, alleen CSV- en TSV-bestanden worden ondersteund"
    ),
    "dataframe.new_column": "Kolom toevoegen",
    "dataframe.new_row": "Nieuwe rij",
    "dataframe.add_row_above": "Rij boven toevoegen",
    "dataframe.add_row_below": "Rij onder toevoegen",
    "dataframe.delete_row": "Rij verwijderen",
    "dataframe.delete_column": "Kolom verwijderen",
    "dataframe.add_column_left": "Kolom links toevoegen",
    "dataframe.add_column_right": "Kolom rechts toevoegen",
    "dataframe.sort_column": "Kolom sorteren",
    "dataframe.sort_ascending": "Oplopend sorteren",
    "dataframe.sort_descending": "Aflopend sorteren",
    "dataframe.drop_to_upload": (
        "Sleep CSV- of TSV-bestanden hier om gegevens in het dataframe te importeren"
    ),
    "dataframe.import_empty_file": "Het bestand is leeg.",
    "dataframe.import_no_column_names": "Het bestand heeft geen kolomnamen.",
    "dataframe.import_ragged_row": (
        "Regel {line} van het bestand heeft {fields} velden, de kop heeft er {columns}."
    ),
    "dataframe.import_static_columns": (
        "In een tabel met vaste kolommen kan niets worden geïmporteerd."
    ),
    "dataframe.import_fixed_columns": (
        "Deze tabel heeft precies {expected} kolommen, het bestand heeft er {actual}."
    ),
    "dataframe.import_fixed_rows": (
        "Deze tabel heeft precies {expected} rijen, het bestand heeft er {actual}."
    ),
    "dataframe.clear_sort": "Sortering wissen",
    "dataframe.filter": "Filteren",
    "dataframe.clear_filter": "Filters wissen",
    "dropdown.dropdown": "Vervolgkeuzelijst",
    "errors.build_error": "Er is een bouwfout",
    "errors.config_error": "Er is een configuratiefout",
    "errors.contact_page_author": "Neem contact op met de auteur van de pagina om dit te melden.",
    "errors.no_app_file": "Er is geen app-bestand",
    "errors.runtime_error": "Er is een runtime-fout",
    "errors.space_not_working": '"Space werkt niet omdat" {0}',
    "errors.space_paused": "De Space is gepauzeerd",
    "errors.use_via_api": "Gebruik via API",
    "errors.use_via_api_or_mcp": "Gebruik via API of MCP",
    "file.uploading": "Uploaden...",
    "image.allow_webcam_access": "Geef alstublieft toegang tot de webcam voor opname.",
    "image.brush_color": "Penseelkleur",
    "image.brush_radius": "Penseelgrootte",
    "image.image": "Afbeelding",
    "image.remove_image": "Afbeelding verwijderen",
    "image.select_brush_color": "Penseelkleur kiezen",
    "image.start_drawing": "Beginnen met tekenen",
    "image.use_brush": "Penseel gebruiken",
    "image.drop_to_upload": "Sleep een afbeelding hier om te uploaden",
    "login.enable_cookies": (
        "Als u een HuggingFace Space bezoekt in incognitomodus, moet u cookies van derden "
        "inschakelen."
    ),
    "login.incorrect_credentials": "Onjuiste inloggegevens",
    "login.username": "Gebruikersnaam",
    "login.password": "Wachtwoord",
    "login.login": "Inloggen",
    "status.queue_position": "In de wachtrij: {position} van {size}",
    "upload_text.click_to_upload": "klik om te kiezen",
    "upload_text.drop_audio": "Sleep een geluidsbestand hier",
    "upload_text.drop_csv": "Sleep een CSV-bestand hier",
    "upload_text.drop_file": "Sleep bestanden hierheen",
    "upload_text.drop_image": "Sleep een afbeelding hier",
    "upload_text.drop_video": "Sleep een video hier",
    "upload_text.drop_gallery": "Sleep media hier",
    "upload_text.paste_clipboard": "Plakken vanuit klembord",
}

# English accessibility labels and tooltips Gradio 6 hard-codes in the components this app uses.
ARIA_DUTCH = {
    "chatbot conversation": "Gesprek",
    "Loading response": "Antwoord wordt geladen",
    "Click to upload or drop files": "Klik om bestanden te kiezen of sleep ze hierheen",
    "Upload a file": "Een bestand kiezen",
    "Uploaded files": "Gekozen bestanden",
    "Uploading": "Bezig met uploaden",
    "Remove this file": "Dit bestand weghalen",
    "Remove file": "Bestand weghalen",
    "Download": "Downloaden",
    "Table actions": "Tabelacties",
    "Open cell menu": "Celmenu openen",
    "Empty value": "Leeg",
    "No value": "Geen waarde",
    "Remove label": "Keuze weghalen",
    "Clear": "Wissen",
    "Close": "Sluiten",
    "Dismiss": "Sluiten",
}

# In the page's <head>: replaces those labels wherever Gradio puts them, also in parts it
# renders later (a new chat message, an uploaded file's row).
ARIA_SCRIPT = (
    "<script>(() => {const nl = "
    + json.dumps(ARIA_DUTCH, ensure_ascii=False)
    + """;
const fix = (el) => {
  for (const a of ['aria-label', 'title', 'placeholder']) {
    const v = el.getAttribute && el.getAttribute(a);
    if (v && Object.prototype.hasOwnProperty.call(nl, v)) el.setAttribute(a, nl[v]);
  }
};
const sweep = (root) => {
  if (root.nodeType !== 1) return;
  fix(root);
  root.querySelectorAll('[aria-label],[title],[placeholder]').forEach(fix);
};
new MutationObserver((changes) => {
  for (const c of changes) {
    if (c.type === 'attributes') fix(c.target);
    else c.addedNodes.forEach(sweep);
  }
}).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
  attributeFilter: ['aria-label', 'title', 'placeholder']});
})();</script>"""
)


def dutch_everywhere() -> gr.I18n:
    """The Dutch texts for every browser language (``mount_gradio_app(i18n=...)``)."""
    return gr.I18n(**{locale: dict(DUTCH) for locale in GRADIO_LOCALES})
