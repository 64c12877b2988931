"""Markdown and PNG renderings of an eval report (``report.json`` stays the source of truth).

``report.md`` opens with one compact table (per set and configuration the figures that decide
whether a change helped) and has the details per set after it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from .metrics import reciprocal_rank
from .runner import report_sets

_RET = ["hit@1", "hit@3", "hit@5", "recall@5", "mrr@10", "ndcg@10"]


def _md(text: str) -> str:
    """Document and question text in the report: no markup of its own, no table breaks."""
    return html.escape(text.replace("\n", " "), quote=False).replace("|", "\\|")


def _f(x) -> str:
    return "–" if x is None else f"{x:.2f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


# The summary's columns: (header in report.md, short header for the terminal).
SUMMARY_COLUMNS = [
    ("config", "config"),
    ("hit@5 nl", "hit5 nl"),
    ("hit@5 en", "hit5 en"),
    ("MRR@10", "MRR"),
    ("answer recall nl", "ans nl"),
    ("answer recall en", "ans en"),
    ("part recall", "parts"),
    ("near-miss handled", "near-miss"),
    ("false refusals", "false ref"),
    ("answerable not_found", "ans nf"),
    ("citation validity", "cites ok"),
    ("latency p50/p95 ms", "ms p50/p95"),
]
SUMMARY_HEADER = [long for long, _ in SUMMARY_COLUMNS]
SUMMARY_SHORT = [short for _, short in SUMMARY_COLUMNS]
SUMMARY_LEGEND = (
    "*answer recall*: the answer text itself holds the evidence (for a multi-part question, the "
    "share of its parts); *part recall*: multi-part questions answered in every part; "
    "*near-miss handled*: questions about something the documents lack that were refused or "
    "whose answer names every missing thing; *answerable not_found*: answerable questions whose "
    "answer says something is missing (lower is better); *false refusals*: answerable questions "
    "refused. `quotes-v1` is the first release's composer on the shipped retrieval."
)


def config_label(report: dict, name: str) -> str:
    return name + (" (shipped)" if name == report.get("shipped") else "")


def summary_rows(report: dict, set_: str) -> list[list[str]]:
    """One row per configuration of one set, in ``SUMMARY_COLUMNS`` order."""
    rows = []
    for name, m in report_sets(report)[set_]["configs"].items():
        pl, a, al = m["retrieval_per_lang"], m["answers"], m["answers_per_lang"]
        rows.append(
            [
                config_label(report, name),
                _f(pl["nl"].get("hit@5")),
                _f(pl["en"].get("hit@5")),
                _f(m["retrieval"].get("mrr@10")),
                _f(al["nl"].get("answer_recall")),
                _f(al["en"].get("answer_recall")),
                _f(a.get("part_recall")),
                _f(a.get("near_miss_handled")),
                _f(m["refusal"]["false_refusal_rate"]),
                _f(a.get("answerable_not_found")),
                _f(a["citation_validity"]),
                f"{m['latency']['p50_ms']:.0f}/{m['latency']['p95_ms']:.0f}",
            ]
        )
    return rows


def set_line(name: str, q: dict) -> str:
    """A set in one line: size, answerable, languages, multi-part and near-miss questions."""
    return (
        f"{name}: {q['n']} questions ({q['answerable']} answerable; nl {q['per_lang']['nl']}, "
        f"en {q['per_lang']['en']}; {q.get('multi_part', 0)} multi-part, "
        f"{q.get('near_miss', 0)} near-miss)"
    )


def _parts_share(r: dict) -> float:
    parts = r.get("parts_answered") or []
    return sum(parts) / len(parts) if parts else 0.0


def worst_questions(report: dict, set_: str, config: str, n: int = 10) -> list[dict]:
    """Questions the configuration handled worst: wrong answers to unanswerable questions and
    wrong refusals first, then answers missing evidence, then by rank."""

    def badness(r: dict) -> tuple:
        if not r["answerable"]:
            handled = r["refused"] or r.get("near_miss_handled")
            return (-1, 0.0, 0.0) if handled else (2, 0.0, 0.0)
        wrong_refusal = 1 if r["refused"] else 0
        return (wrong_refusal, 1.0 - _parts_share(r), 1.0 - reciprocal_rank(r["relevant"], 10))

    rows = sorted(report_sets(report)[set_]["per_question"][config], key=badness, reverse=True)
    return [r for r in rows if badness(r) > (0, 0.0, 0.0)][:n]


def _answers_table(configs: dict) -> str:
    rows = []
    for name, m in configs.items():
        a, rf = m["answers"], m["refusal"]
        rows.append(
            [
                name,
                _f(a["evidence_coverage"]),
                _f(a["citation_validity"]),
                _f(a["must_contain"]),
                _f(a.get("supported_sentences")),
                _f(rf["precision"]),
                _f(rf["recall"]),
                _f(rf["false_refusal_rate"]),
            ]
        )
    header = [
        "config",
        "evidence coverage",
        "citation validity",
        "must_contain",
        "supported sentences",
        "refusal precision",
        "refusal recall",
        "false refusal rate",
    ]
    return _table(header, rows)


def _answer_text_table(configs: dict) -> str:
    """The answer-text metrics overall and per language, with how many questions they rest on."""
    rows = []
    for name, m in configs.items():
        for lang, a in (("all", m["answers"]), *m["answers_per_lang"].items()):
            rows.append(
                [
                    name,
                    lang,
                    _f(a.get("answer_recall")),
                    _f(a.get("part_recall")) + f" ({a.get('multi_part', 0)})",
                    _f(a.get("near_miss_handled")) + f" ({a.get('near_miss', 0)})",
                    _f(a.get("answerable_not_found")),
                ]
            )
    header = [
        "config",
        "lang",
        "answer recall",
        "part recall (n)",
        "near-miss handled (n)",
        "answerable not_found",
    ]
    return _table(header, rows)


def _set_details(report: dict, set_: str, data: dict) -> list[str]:
    configs, shipped = data["configs"], report["shipped"]
    lines = [f"## Set {set_}", "", set_line(set_, data["questions"]), ""]
    if data["questions"].get("file"):
        lines += [f"File: `{data['questions']['file']}`", ""]
    lines += ["### Retrieval per language", ""]
    rows = []
    for name, m in configs.items():
        for lang in ("nl", "en"):
            r = m["retrieval_per_lang"][lang]
            rows.append([name, lang, str(r.get("n", 0))] + [_f(r.get(k)) for k in _RET])
    lines += [_table(["config", "lang", "n"] + _RET, rows), ""]
    if shipped in configs:
        lines += [f"### Retrieval per theme ({shipped})", ""]
        rows = [
            [t, str(r["n"])] + [_f(r.get(k)) for k in _RET]
            for t, r in configs[shipped]["retrieval_per_theme"].items()
        ]
        lines += [_table(["theme", "n"] + _RET, rows), ""]
    lines += ["### Answers and refusals", "", _answers_table(configs), ""]
    lines += ["### The answer text, per language", "", _answer_text_table(configs), ""]
    worst_config = shipped if shipped in configs else next(iter(configs))
    lines += [f"### Worst questions ({worst_config})", ""]
    for r in worst_questions(report, set_, worst_config):
        status = "refused" if r["refused"] else "answered"
        rank = next((i + 1 for i, x in enumerate(r["relevant"]) if x), None)
        lines.append(
            f"#### {r['id']} ({r['lang']}, {'answerable' if r['answerable'] else 'unanswerable'}, "
            f"{status}, first relevant at {rank or '—'})"
        )
        lines.append(f"> {_md(r['question'])}")
        lines.append("")
        parts = r.get("parts_answered") or []
        if r["answerable"] and not r["refused"]:
            lines.append(f"The answer holds evidence for {sum(parts)} of {len(parts)} part(s).")
            lines.append("")
        if r.get("missing"):
            lines.append(
                f"Missing: {_md(', '.join(r['missing']))}; the answer's not_found: "
                f"{_md(', '.join(r.get('not_found') or [])) or '—'}."
            )
            lines.append("")
        for i, p in enumerate(r["retrieved"][:5], 1):
            mark = "✔" if p["relevant"] else " "
            lines.append(
                f"{i}. {mark} {_md(p['title'])} — {_md(p['section'][:60])} "
                f"({p['kind']}): {_md(p['text'][:110])}…"
            )
        lines.append("")
    return lines


def to_markdown(report: dict, comparison: list[dict] | None = None) -> str:
    sets = report_sets(report)
    lines = [f"# Eval report — {report['date']}", ""]
    lines += [
        f"Corpus: {report['corpus']['passages']} passages in "
        f"{len(report['corpus']['documents'])} documents; collection "
        f"`{report['corpus']['collection']}`; embedder `{report['model']['embedder']}`.",
        "",
    ]
    lines += [f"* {set_line(name, data['questions'])}" for name, data in sets.items()] + [""]
    lines += ["## Summary", ""]
    header = ["set", *SUMMARY_HEADER]
    rows = [[name, *row] for name in sets for row in summary_rows(report, name)]
    lines += [_table(header, rows), "", SUMMARY_LEGEND, ""]
    if comparison:
        lines += ["## Compared with the earlier report", ""]
        rows = [
            [
                c.get("set", ""),
                c["config"],
                c["metric"],
                _f(c["old"]),
                _f(c["new"]),
                f"{c['delta']:+.3f}",
                "**worse**" if c["regressed"] else "",
            ]
            for c in comparison
            if abs(c["delta"]) > 1e-9 or c["regressed"]
        ]
        lines += [
            _table(["set", "config", "metric", "old", "new", "delta", ""], rows)
            if rows
            else "No metric changed.",
            "",
        ]
    for name, data in sets.items():
        lines += _set_details(report, name, data)
    return "\n".join(lines) + "\n"


def write_chart(report: dict, path: Path) -> None:
    """Per set, grouped bars: hit@5 and answer recall per language for each configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = report_sets(report)
    series = [
        ("hit@5 nl", "retrieval_per_lang", "nl", "hit@5"),
        ("hit@5 en", "retrieval_per_lang", "en", "hit@5"),
        ("answer recall nl", "answers_per_lang", "nl", "answer_recall"),
        ("answer recall en", "answers_per_lang", "en", "answer_recall"),
    ]
    fig, axes = plt.subplots(len(sets), 1, figsize=(8, 3.4 * len(sets) + 0.8), dpi=110)
    axes = list(axes) if len(sets) > 1 else [axes]
    width = 0.8 / len(series)
    for ax, (name, data) in zip(axes, sets.items()):
        configs = list(data["configs"])
        for i, (label, group, lang, key) in enumerate(series):
            vals = [data["configs"][c][group][lang].get(key) for c in configs]
            xs = [j + i * width for j in range(len(configs))]
            bars = ax.bar(xs, [v or 0.0 for v in vals], width, label=label)
            ax.bar_label(bars, labels=[_f(v) for v in vals], fontsize=7)  # "–": no questions
        ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(configs))], configs)
        ax.set_ylim(0, 1.15)
        ax.axhline(0.9, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{name}: retrieval and answers per configuration and language")
    axes[-1].legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(report: dict, out: Path, comparison: list[dict] | None = None) -> Path:
    """``report.json``, ``report.md`` and ``chart.png`` in ``out`` (created when missing); the
    CLI and the web app write a run the same way. Returns the Markdown file."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    md = out / "report.md"
    md.write_text(to_markdown(report, comparison), encoding="utf-8")
    write_chart(report, out / "chart.png")
    return md
