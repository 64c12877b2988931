"""The Evaluatie tab in Dutch, for policy advisers: a summary in plain words, a chart, tables.

``report.json`` (``evals.runner.run_eval``) is the source; the CLI's ``report.md`` stays
technical and is not used here. The summary counts questions ("Bij 75 van de 80 testvragen stond
het juiste fragment bij de eerste vijf"), the tables give the same figures as percentages per
configuration with a one-line explanation of each, and the chart shows the two that matter most.

>>> summary_lines({"n": 3, "answerable": 2}, [
...     {"answerable": True, "relevant": [False, True], "refused": False,
...      "parts_answered": [True], "citation_valid": True},
...     {"answerable": True, "relevant": [False] * 6, "refused": True, "parts_answered": [False],
...      "citation_valid": True},
...     {"answerable": False, "relevant": [], "refused": True, "citation_valid": True},
... ], {"p50_ms": 120.0, "p95_ms": 480.0})[0]
'Bij 1 van de 2 testvragen stond het juiste fragment bij de eerste vijf gevonden passages.'
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import tempfile
from pathlib import Path

from evals.runner import report_sets

from .render import esc

NO_REPORT = (
    "Er is nog geen evaluatie gedraaid. Start er een met de knop hieronder: de assistent "
    "beantwoordt dan de testvragen (een paar minuten) en hier verschijnt hoe dat ging."
)

SET_NAMES = {
    "gold": "Testvragen",
    "hard": "Moeilijke testvragen",
    "dev": "Ontwikkelvragen",
    "hard-dev": "Moeilijke ontwikkelvragen",
}
CONFIG_NAMES = {
    "hybrid": "Zoeken op woorden én betekenis (in gebruik)",
    "bm25": "Alleen op woorden",
    "dense": "Alleen op betekenis",
    "quotes-v1": "Eerste versie van de antwoorden",
    "hybrid+llm": "In gebruik, met taalmodel",
}
CHART_NAMES = {
    "hybrid": "in gebruik",
    "bm25": "alleen woorden",
    "dense": "alleen betekenis",
    "quotes-v1": "eerste versie",
    "hybrid+llm": "met taalmodel",
}
MONTHS = (
    "januari februari maart april mei juni juli augustus september oktober november december"
).split()

# (label, where in a configuration's figures, what it means); "latency" is the timing pair.
METRICS: list[tuple[str, tuple[str, str], str]] = [
    (
        "Juiste fragment bij de eerste vijf",
        ("retrieval", "hit@5"),
        "van de vragen met een antwoord in de documenten: hoe vaak een passage met dat antwoord "
        "bij de eerste vijf gevonden passages stond.",
    ),
    (
        "Juiste fragment bovenaan",
        ("retrieval", "hit@1"),
        "hetzelfde, maar dan als allereerste gevonden passage.",
    ),
    (
        "Plaatsscore (MRR)",
        ("retrieval", "mrr@10"),
        "hoe hoog het eerste juiste fragment gemiddeld stond: 100% is steeds bovenaan, 50% "
        "gemiddeld op de tweede plaats.",
    ),
    (
        "Antwoord bevat het gevraagde",
        ("answers", "answer_recall"),
        "hoe vaak de tekst die de vraag beantwoordt ook echt in het antwoord staat (bij een "
        "vraag in delen: het deel van de delen).",
    ),
    (
        "Vragen in delen helemaal beantwoord",
        ("answers", "part_recall"),
        "bij vragen die twee of meer dingen tegelijk vragen: hoe vaak elk deel beantwoord is.",
    ),
    (
        "Ontbrekende zaken benoemd",
        ("answers", "near_miss_handled"),
        "bij vragen naar iets wat niet in de documenten staat (een plaats, een bedrag): hoe vaak "
        "het antwoord zei dat het ontbreekt.",
    ),
    (
        "Terecht geen antwoord",
        ("refusal", "recall"),
        "van de vragen waarop de documenten geen antwoord hebben: hoe vaak de assistent dat zei.",
    ),
    (
        "Onterecht geen antwoord",
        ("refusal", "false_refusal_rate"),
        "van de vragen met een antwoord in de documenten: hoe vaak de assistent toch zei dat de "
        "documenten het niet beantwoorden (lager is beter).",
    ),
    (
        "Kloppende bronverwijzingen",
        ("answers", "citation_validity"),
        "hoe vaak elke [n] in een antwoord naar een bestaande bron wijst waarin het geciteerde "
        "echt staat.",
    ),
    (
        "Antwoordtijd (meestal / 95%)",
        ("latency", ""),
        "hoe lang een antwoord duurde: de gewone tijd, en de tijd waarbinnen 95 van de 100 "
        "antwoorden klaar waren.",
    ),
]


def pct(x: float | None) -> str:
    """A share as a Dutch percentage ("–" when there were no questions for it).

    >>> pct(0.925), pct(None)
    ('93%', '–')
    """
    return "–" if x is None else f"{math.floor(100 * x + 0.5)}%"  # 92.5 is 93, not 92


def seconds(ms: float) -> str:
    """Milliseconds as Dutch seconds, one decimal.

    >>> seconds(97.5), seconds(1234)
    ('0,1 seconde', '1,2 seconden')
    """
    s = ms / 1000
    text = f"{s:.1f}".replace(".", ",")
    return f"{text} seconde" if s < 1.05 else f"{text} seconden"


def date_nl(iso: str) -> str:
    """The report's ISO date in Dutch.

    >>> date_nl("2025-12-01T19:23:05")
    '1 december 2025, 19:23'
    """
    try:
        d = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}, {d:%H:%M}"


def set_name_nl(name: str) -> str:
    return SET_NAMES.get(name, name)


def _n(count: int, one: str, more: str) -> str:
    return f"{count} {one if count == 1 else more}"


def summary_lines(about: dict, rows: list[dict], latency: dict) -> list[str]:
    """The shipped configuration's results on one set, as sentences with counts (``about``:
    the set's description in the report, ``rows``: its per-question results)."""
    answerable = [r for r in rows if r.get("answerable")]
    unanswerable = [r for r in rows if not r.get("answerable")]
    lines = []
    if answerable:
        n = len(answerable)
        top5 = sum(any(r.get("relevant", [])[:5]) for r in answerable)
        lines.append(
            f"Bij {top5} van de {n} testvragen stond het juiste fragment bij de eerste vijf "
            "gevonden passages."
        )
        full = sum(
            bool(r.get("parts_answered")) and all(r["parts_answered"]) and not r.get("refused")
            for r in answerable
        )
        lines.append(
            f"{full} van de {n} antwoorden bevatten het gevraagde zelf, letterlijk uit de "
            "documenten."
        )
        wrong = sum(bool(r.get("refused")) for r in answerable)
        lines.append(
            "Geen van deze vragen kreeg ten onrechte “staat niet in de documenten”."
            if wrong == 0
            else f"{_n(wrong, 'vraag kreeg', 'vragen kregen')} ten onrechte “staat niet in de "
            "documenten”, terwijl het antwoord er wel in staat."
        )
    if unanswerable:
        handled = sum(bool(r.get("refused") or r.get("near_miss_handled")) for r in unanswerable)
        lines.append(
            f"Van de {_n(len(unanswerable), 'vraag', 'vragen')} waarop de documenten geen "
            f"antwoord hebben, zei de assistent dat bij {handled} (of noemde hij wat ontbrak)."
        )
    bad = sum(not r.get("citation_valid", True) for r in rows if not r.get("refused"))
    lines.append(
        "Alle bronverwijzingen [n] klopten."
        if bad == 0
        else f"In {_n(bad, 'antwoord', 'antwoorden')} wees een bronverwijzing [n] naar een "
        "bron waarin het geciteerde niet staat."
    )
    if latency:
        lines.append(
            f"Een antwoord kostte meestal {seconds(latency['p50_ms'])}; 95 van de 100 waren "
            f"binnen {seconds(latency['p95_ms'])} klaar."
        )
    return lines


def _scope(report: dict) -> str:
    corpus = report.get("corpus", {})
    docs, passages = len(corpus.get("documents", {})), corpus.get("passages", 0)
    where = {
        "shipped": "op de meegeleverde documenten",
        "all": "op alle documenten in de index, ook de eigen (geüploade) documenten",
    }.get(corpus.get("scope", ""), "op de documenten die toen in de index stonden")
    return f"Gemeten {where}: {_n(docs, 'document', 'documenten')}, {passages} passages."


def summary_markdown(report: dict) -> str:
    """First thing on the tab: what the latest run says, in sentences with counts."""
    shipped = report.get("shipped", "hybrid")
    when = date_nl(str(report.get("date", "")))
    out = [f"## Hoe goed antwoordt de assistent?\n\nEvaluatie van {when}."]
    out.append(_scope(report))
    for name, data in report_sets(report).items():
        about = data.get("questions", {})
        config = data.get("configs", {}).get(shipped)
        if config is None:
            continue
        rows = data.get("per_question", {}).get(shipped, [])
        lines = summary_lines(about, rows, config.get("latency", {}))
        head = (
            f"**{esc(set_name_nl(name))}** ({_n(about.get('n', len(rows)), 'vraag', 'vragen')}, "
            f"waarvan {about.get('answerable', 0)} met een antwoord in de documenten)"
        )
        out.append(head + "\n\n" + "\n".join(f"- {line}" for line in lines))
    return "\n\n".join(out)


def _value(config: dict, where: tuple[str, str]) -> str:
    group, key = where
    if group == "latency":
        lat = config.get("latency", {})
        if not lat:
            return "–"
        return f"{seconds(lat['p50_ms'])} / {seconds(lat['p95_ms'])}"
    return pct(config.get(group, {}).get(key))


def tables_markdown(report: dict) -> str:
    """Per set, the figures of every configuration; then what each figure means."""
    out = ["## De cijfers per manier van zoeken en antwoorden"]
    out.append(
        "De assistent is gemeten zoals hij nu werkt (*in gebruik*) en, ter vergelijking, met "
        "alleen zoeken op woorden, alleen zoeken op betekenis en met de eerste versie van de "
        "antwoorden. Een streepje betekent: geen vragen van die soort in deze set."
    )
    shipped = report.get("shipped", "hybrid")
    for name, data in report_sets(report).items():
        configs = data.get("configs", {})
        if not configs:
            continue
        header = ["Wat er gemeten is", *(CONFIG_NAMES.get(c, c) for c in configs)]
        rows = [
            [label, *(_value(m, where) for m in configs.values())] for label, where, _ in METRICS
        ]
        out.append(f"### {esc(set_name_nl(name))}")
        out.append(_table(header, rows))
        if shipped in configs:
            lang_rows = []
            for lang, label in (("nl", "Nederlandse vragen"), ("en", "Engelse vragen")):
                r = configs[shipped].get("retrieval_per_lang", {}).get(lang, {})
                a = configs[shipped].get("answers_per_lang", {}).get(lang, {})
                if r.get("n"):
                    lang_rows.append(
                        [label, str(r["n"]), pct(r.get("hit@5")), pct(a.get("answer_recall"))]
                    )
            if lang_rows:
                out.append("Per taal, zoals de assistent nu werkt:")
                out.append(
                    _table(
                        [
                            "Taal van de vraag",
                            "Vragen met antwoord",
                            "Juiste fragment bij de eerste vijf",
                            "Antwoord bevat het gevraagde",
                        ],
                        lang_rows,
                    )
                )
    out.append("### Wat de cijfers betekenen")
    out.append("\n".join(f"- **{label}**: {meaning}" for label, _, meaning in METRICS))
    return "\n\n".join(out)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_chart_nl(report: dict, path: Path) -> Path:
    """Per set, for each configuration: the right passage among the first five, and the answer
    holding what was asked, in percent. Written next to the report (atomically: several
    processes may render the tab at once)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = report_sets(report)
    series = [
        ("Juiste fragment bij de eerste vijf", "retrieval", "hit@5"),
        ("Antwoord bevat het gevraagde", "answers", "answer_recall"),
    ]
    fig, axes = plt.subplots(len(sets), 1, figsize=(8, 3.0 * len(sets) + 0.9), dpi=110)
    axes = list(axes) if len(sets) > 1 else [axes]
    width = 0.38
    for ax, (name, data) in zip(axes, sets.items()):
        configs = list(data["configs"])
        for i, (label, group, key) in enumerate(series):
            vals = [data["configs"][c].get(group, {}).get(key) for c in configs]
            xs = [j + i * width for j in range(len(configs))]
            bars = ax.bar(xs, [100 * (v or 0.0) for v in vals], width, label=label)
            ax.bar_label(bars, labels=[pct(v) for v in vals], fontsize=8)
        ax.set_xticks(
            [j + width / 2 for j in range(len(configs))], [CHART_NAMES.get(c, c) for c in configs]
        )
        ax.set_ylim(0, 115)
        ax.set_ylabel("procent van de vragen")
        ax.set_title(set_name_nl(name))
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].legend(fontsize=8, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


def eval_view(eval_dir: Path) -> tuple[str, str | None, str]:
    """The tab's three parts from the latest report: summary, chart file, tables."""
    report_file = eval_dir / "report.json"
    if not report_file.exists():
        return NO_REPORT, None, ""
    try:
        report = json.loads(report_file.read_text(encoding="utf-8"))
        summary, tables = summary_markdown(report), tables_markdown(report)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return (
            "Het laatste evaluatierapport kon niet worden gelezen. Start een nieuwe evaluatie.",
            None,
            "",
        )
    chart = eval_dir / "grafiek.png"
    try:
        if not chart.exists() or chart.stat().st_mtime < report_file.stat().st_mtime:
            write_chart_nl(report, chart)
    except (OSError, ValueError, KeyError, TypeError):
        return summary, None, tables
    return summary, str(chart), tables
