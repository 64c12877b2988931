"""Uploaded documents are tagged like the bundled ones: regions, practice examples, document kind.

Fast: the chunker without a model (token counting is only a size limit, and these texts are
short), the bundled taxonomy, texts written the way advisers' own documents are.
"""

from __future__ import annotations

import pytest

from ingest.chunk import chunk_document
from ingest.clean import clean_text
from ingest.loaders import SUPPORTED, iter_files, load_file
from ingest.passage import Passage
from ingest.pipeline import _catalog_for, _title
from ingest.settings import BUNDLED_CORPUS, BUNDLED_TAXONOMY
from ingest.tags import Taxonomy, infer_doc_kind

TX = Taxonomy.load(BUNDLED_TAXONOMY)

ZEEWOLDE = """# Praktijkvoorbeeld: thuisnabij onderwijs in Zeewolde

## Aanleiding

In de gemeente Zeewolde gingen tot 2022 ruim veertig kinderen met een ondersteuningsbehoefte \
elke dag met het leerlingenvervoer naar een school voor speciaal onderwijs in Harderwijk of \
Almere. De reistijd liep op tot anderhalf uur per dag. Ouders vroegen de gemeente en het \
samenwerkingsverband om een plek dichter bij huis.

## Aanpak

De gemeente en twee basisscholen hebben samen een voorziening in de eigen wijk ingericht. De \
gemeente betaalde de verbouwing van een lokaal tot prikkelarme ruimte, het \
samenwerkingsverband zorgt voor een vaste onderwijsassistent en een ambulant begeleider. Een \
jeugdhulpaanbieder werkt twee dagen per week op school, zodat onderwijs en zorg op één plek \
samenkomen. De leraren kregen een scholing over gedrag en over het afstemmen van de les op \
verschillende leerlingen, en de intern begeleiders van beide scholen overleggen elke maand met \
de ambulant begeleider over de kinderen die extra aandacht vragen. Ouders zijn vanaf het begin \
betrokken: zij zaten in de werkgroep die de ruimte inrichtte.

## Resultaat

Na een jaar gaan achttien kinderen naar school in hun eigen dorp. De kosten van het vervoer \
daalden met een derde, en het geld dat vrijkwam is ingezet voor de onderwijsassistent. Leraren \
zeggen dat zij meer weten over gedrag. De school wil de voorziening uitbreiden naar de \
bovenbouw, en de gemeente onderzoekt of een derde school kan aansluiten. Het \
samenwerkingsverband heeft de werkwijze beschreven, zodat andere scholen in de regio haar \
kunnen overnemen, en organiseert in het najaar een bijeenkomst voor scholen die willen starten.
"""

PLAN = """# Ondersteuningsplan SWV Driegang 2024-2028

Dit ondersteuningsplan beschrijft hoe samenwerkingsverband Driegang de komende vier jaar werkt \
aan passend onderwijs voor alle leerlingen in de regio. De scholen, de gemeenten en het \
samenwerkingsverband hebben de ambities samen opgesteld en in het OOGO besproken.

## Basisondersteuning

Alle scholen bieden in 2026 dezelfde basisondersteuning. Het samenwerkingsverband betaalt een \
orthopedagoog per school en organiseert scholing voor leraren over gedrag en taal.
"""

# A handbook-like text: running text, then one section marked as a practice example, then more
# running text that merely names a region in passing.
HANDBOOK = """Thuisnabij onderwijs

Thuisnabij onderwijs vraagt om afspraken tussen gemeente en samenwerkingsverband over vervoer, \
huisvesting en zorg. Die afspraken worden het best gemaakt in het OOGO, waar beide partijen \
hun plannen op elkaar afstemmen en vastleggen wie wat betaalt. Zonder zulke afspraken blijft \
elke school zelf zoeken naar een oplossing, en dat kost tijd en geld. Een gedeelde visie helpt \
om keuzes uit te leggen aan ouders, scholen en de gemeenteraad. Ook is het verstandig om \
vooraf te bepalen hoe de resultaten worden gevolgd, zodat na een paar jaar duidelijk is wat \
de aanpak heeft opgeleverd en wat beter kan. Scholen die al ervaring hebben, kunnen andere \
scholen daarbij helpen met bezoeken en gesprekken tussen leraren en schoolleiders.

Voorbeeld uit de praktijk

Bij de verbouwing van een basisschool is een ruimte voor kinderen met een zorgvraag gemaakt. \
De school, de zorgaanbieder en de gemeente hebben het ontwerp samen gemaakt, met ouders erbij. \
Kinderen die eerst naar een dagbesteding gingen, leren nu in de wijk en spelen in de pauze met \
hun klasgenoten.

Financiering

De financiering van zulke voorzieningen is nog vaak een puzzel. Gemeenten betalen de \
huisvesting, het samenwerkingsverband de ondersteuning en de zorgverzekeraar een deel van de \
zorg; in Utrecht zoeken zij samen naar een vaste verdeling. Een vaste verdeling voorkomt dat \
iedere aanvraag opnieuw wordt besproken, en geeft scholen zekerheid voor meerdere jaren. Leg \
die verdeling vast in een convenant dat elk jaar in het OOGO wordt besproken.
"""


def chunk(text: str, title: str = "", doc_kind: str | None = None) -> list[Passage]:
    clean = clean_text(text)
    first = clean.text.strip().split("\n", 1)[0].lstrip("# ").strip()
    return chunk_document(clean, doc_id="doc", title=title or first, doc_kind=doc_kind, taxonomy=TX)


# -- regions --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "introduced"),
    [
        ("De gemeente Zeewolde betaalt de aanpassing.", ["Zeewolde"]),
        (
            "In de regio Noord-Veluwe en in gemeente Bergen op Zoom ...",
            ["Noord-Veluwe", "Bergen op Zoom"],
        ),
        (
            "Gemeente De Bilt en samenwerkingsverband Passend Onderwijs Flevoland",
            ["De Bilt", "Flevoland"],
        ),
        ("SWV VO Zuid-Kennemerland maakt afspraken.", ["Zuid-Kennemerland"]),
        # the taxonomy's own names stay the taxonomy's
        ("De gemeente Nijmegen en regio Stromenland", []),
        ("In de gemeente ’s-Hertogenbosch ...", []),
        # no place: lower case, a sentence word, a list of several municipalities
        ("de gemeente en de regio werken samen; de regio is groot", []),
        ("Rol Van De Gemeente Als Partner", []),
        ("De gemeenten Oss en Uden spraken af ...", []),
    ],
)
def test_places_the_text_introduces_become_regions(text, introduced):
    assert TX.document_regions("", text).introduced == introduced


def test_a_named_place_counts_in_every_passage_and_the_title_place_in_all():
    passages = chunk(ZEEWOLDE)
    assert len(passages) >= 2
    # only the first section says "gemeente Zeewolde"; the title names it, so all passages are
    # from Zeewolde, and Harderwijk or Almere (mentioned, never introduced as places) are not
    for p in passages:
        assert p.regions == ["Zeewolde"], (p.section, p.regions)
    assert "Zeewolde" not in passages[-1].text


def test_a_taxonomy_region_is_found_by_its_alias():
    passages = chunk(PLAN)
    assert all(p.regions == ["Driegang"] for p in passages)


# -- practice examples ----------------------------------------------------------------------------
def test_a_document_titled_praktijkvoorbeeld_is_one():
    passages = chunk(ZEEWOLDE)
    assert {p.kind for p in passages} == {"praktijkvoorbeeld"}
    assert {p.doc_kind for p in passages} == {"praktijkvoorbeelden"}


def test_only_the_section_headed_as_an_example_is_one():
    passages = chunk(HANDBOOK, doc_kind="handreiking")
    kinds = {p.section: p.kind for p in passages}
    assert kinds["Voorbeeld uit de praktijk"] == "praktijkvoorbeeld", kinds
    assert kinds["Thuisnabij onderwijs"] == "tekst"
    # naming Utrecht in passing does not make the financing section a practice example
    assert kinds["Financiering"] == "tekst"
    assert {p.doc_kind for p in passages} == {"handreiking"}


def test_text_that_opens_with_what_a_region_did_is_an_example():
    text = HANDBOOK.replace(
        "Financiering\n\nDe financiering van zulke voorzieningen is nog vaak een puzzel.",
        "Financiering\n\nIn de gemeente Zeewolde is de financiering samen geregeld.",
    )
    passages = chunk(text, doc_kind="handreiking")
    fin = next(p for p in passages if p.section == "Financiering")
    assert fin.kind == "praktijkvoorbeeld"
    assert "Zeewolde" in fin.regions


def test_a_short_report_about_one_place_is_an_example():
    text = (
        "Project Zwaluwnest in Voorbeeldstad\n\nHet project Zwaluwnest in gemeente Voorbeeldstad "
        "zorgt dat leerlingen met een lichamelijke beperking gewoon naar de basisschool in hun "
        "eigen wijk kunnen. De gemeente betaalt de aanpassing van het schoolgebouw en het "
        "samenwerkingsverband zorgt voor een vaste onderwijsassistent.\n"
    )
    (p,) = chunk(text)
    assert (p.kind, p.doc_kind, p.regions) == (
        "praktijkvoorbeeld",
        "praktijkvoorbeelden",
        ["Voorbeeldstad"],
    )
    assert "onderwijshuisvesting" in p.themes


def test_a_plan_about_a_region_is_no_example():
    passages = chunk(PLAN)
    assert {p.kind for p in passages} == {"tekst"}
    assert {p.doc_kind for p in passages} == {"overig"}


def test_text_without_a_place_or_a_mark_stays_text():
    text = (
        "Het Kraanvogelproject\n\nHet Kraanvogelproject brengt leerlingen van de basisschool en "
        "het speciaal onderwijs samen in één gebouw. Ouders doen vanaf het begin mee.\n"
    )
    (p,) = chunk(text)
    assert (p.kind, p.doc_kind, p.regions) == ("tekst", "overig", [])


# -- document kind --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("title", "text", "kind"),
    [
        ("Handreiking thuisnabij onderwijs", "", "handreiking"),
        ("Praktijkvoorbeeld: Zeewolde", "", "praktijkvoorbeelden"),
        ("Nieuws - 15 december 2021 Leernetwerk", "", "nieuws"),
        (
            "Naar inclusief onderwijs",
            "Intro.\n\nDit stappenplan ondersteunt de volgende fase.",
            "stappenplan",
        ),
        ("Verslag", "De handreiking noemt vier thema's.", "overig"),
        ("Leerlingenvervoer in cijfers", "Het vervoer kost de gemeente veel geld.", "overig"),
    ],
)
def test_the_kind_comes_from_the_title_or_what_the_text_calls_itself(title, text, kind):
    assert infer_doc_kind(title, text) == kind


def test_the_bundled_documents_get_their_catalog_kinds_and_tags_without_the_catalog():
    """The catalog is not needed: what the texts say about themselves gives the same kinds, and
    no passage changes its kind or regions."""
    for path, _ in iter_files([BUNDLED_CORPUS]):
        if path.suffix not in SUPPORTED:
            continue
        entry = _catalog_for(path, [BUNDLED_CORPUS])
        doc = load_file(path)
        clean = clean_text("\n\n".join(pg.text for pg in doc.pages))
        with_catalog = chunk_document(
            clean, doc_id="d", title=_title(doc, clean.text, entry), doc_kind=entry["kind"],
            taxonomy=TX,
        )  # fmt: skip
        without = chunk_document(
            clean, doc_id="d", title=_title(doc, clean.text, {}), doc_kind=None, taxonomy=TX
        )
        assert {p.doc_kind for p in without} == {entry["kind"]}, path.name
        assert [(p.kind, p.regions) for p in without] == [
            (p.kind, p.regions) for p in with_catalog
        ], path.name
