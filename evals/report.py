"""Markdown and PNG renderings of an eval report (``report.json`` stays the source of truth)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from .metrics import reciprocal_rank

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


def summary_rows(report: dict) -> list[list[str]]:
    rows = []
    for name, m in report["configs"].items():
        pl = m["retrieval_per_lang"]
        rows.append(
            [
                name + (" (shipped)" if name == report.get("shipped") else ""),
                _f(pl["nl"].get("hit@5")),
                _f(pl["en"].get("hit@5")),
                _f(m["retrieval"].get("mrr@10")),
                _f(m["retrieval"].get("ndcg@10")),
                _f(m["answers"]["evidence_coverage"]),
                _f(m["answers"]["citation_validity"]),
                _f(m["refusal"]["recall"]),
                _f(m["refusal"]["false_refusal_rate"]),
                f"{m['latency']['p50_ms']:.0f}/{m['latency']['p95_ms']:.0f}",
            ]
        )
    return rows


SUMMARY_HEADER = [
    "config",
    "hit@5 nl",
    "hit@5 en",
    "MRR@10",
    "nDCG@10",
    "evidence cov.",
    "citation valid",
    "refusal recall",
    "false refusals",
    "latency p50/p95 ms",
]


def worst_questions(report: dict, config: str, n: int = 10) -> list[dict]:
    """Questions the configuration handled worst: wrong refusals first, then by rank."""

    def badness(r: dict) -> tuple:
        if not r["answerable"]:
            return (2 if not r["refused"] else -1, 0.0)
        wrong_refusal = 1 if r["refused"] else 0
        return (wrong_refusal, 1.0 - reciprocal_rank(r["relevant"], 10))

    rows = sorted(report["per_question"][config], key=badness, reverse=True)
    return [r for r in rows if badness(r) > (0, 0.0)][:n]


def to_markdown(report: dict, comparison: list[dict] | None = None) -> str:
    lines = [f"# Eval report — {report['date']}", ""]
    q = report["questions"]
    lines += [
        f"Questions: {q['n']} ({q['answerable']} answerable; nl {q['per_lang']['nl']}, "
        f"en {q['per_lang']['en']}) from `{q['file']}`  ",
        f"Corpus: {report['corpus']['passages']} passages in "
        f"{len(report['corpus']['documents'])} documents; collection "
        f"`{report['corpus']['collection']}`; embedder `{report['model']['embedder']}`.",
        "",
    ]
    lines += ["## Summary", "", _table(SUMMARY_HEADER, summary_rows(report)), ""]
    lines += ["## Retrieval per language", ""]
    rows = []
    for name, m in report["configs"].items():
        for lang in ("nl", "en"):
            r = m["retrieval_per_lang"][lang]
            rows.append([name, lang, str(r.get("n", 0))] + [_f(r.get(k)) for k in _RET])
    lines += [_table(["config", "lang", "n"] + _RET, rows), ""]
    shipped = report["shipped"]
    lines += [f"## Retrieval per theme ({shipped})", ""]
    rows = [
        [t, str(r["n"])] + [_f(r.get(k)) for k in _RET]
        for t, r in report["configs"][shipped]["retrieval_per_theme"].items()
    ]
    lines += [_table(["theme", "n"] + _RET, rows), ""]
    lines += ["## Answers and refusals", ""]
    rows = []
    for name, m in report["configs"].items():
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
    lines += [
        _table(
            [
                "config",
                "evidence coverage",
                "citation validity",
                "must_contain",
                "supported sentences",
                "refusal precision",
                "refusal recall",
                "false refusal rate",
            ],
            rows,
        ),
        "",
    ]
    if comparison:
        lines += ["## Compared with the earlier report", ""]
        rows = [
            [
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
            _table(["config", "metric", "old", "new", "delta", ""], rows)
            if rows
            else "No metric changed.",
            "",
        ]
    lines += [f"## Worst questions ({shipped})", ""]
    for r in worst_questions(report, shipped):
        status = "refused" if r["refused"] else "answered"
        rank = next((i + 1 for i, x in enumerate(r["relevant"]) if x), None)
        lines.append(
            f"### {r['id']} ({r['lang']}, {'answerable' if r['answerable'] else 'unanswerable'}, "
            f"{status}, first relevant at {rank or '—'})"
        )
        lines.append(f"> {_md(r['question'])}")
        lines.append("")
        for i, p in enumerate(r["retrieved"][:5], 1):
            mark = "✔" if p["relevant"] else " "
            lines.append(
                f"{i}. {mark} {_md(p['title'])} — {_md(p['section'][:60])} "
                f"({p['kind']}): {_md(p['text'][:110])}…"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def write_chart(report: dict, path: Path) -> None:
    """Grouped bars: hit@5 and MRR@10 per language for each configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = list(report["configs"])
    series = [
        ("hit@5 nl", "nl", "hit@5"),
        ("hit@5 en", "en", "hit@5"),
        ("MRR@10 nl", "nl", "mrr@10"),
        ("MRR@10 en", "en", "mrr@10"),
    ]
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    width = 0.8 / len(series)
    for i, (label, lang, key) in enumerate(series):
        vals = [report["configs"][c]["retrieval_per_lang"][lang].get(key) or 0.0 for c in configs]
        xs = [j + i * width for j in range(len(configs))]
        bars = ax.bar(xs, vals, width, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(configs))], configs)
    ax.set_ylim(0, 1.1)
    ax.axhline(0.9, color="grey", lw=0.8, ls="--")
    ax.set_title("Retrieval per configuration and language")
    ax.legend(fontsize=8, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
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
