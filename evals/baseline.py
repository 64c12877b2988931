"""The regression gate: the shipped configuration's figures on the held-out sets, committed.

``evals/baseline.json`` holds, for the ``hybrid`` configuration on the gold and hard sets,
hit@5 per language, MRR@10, answer recall, near-miss handled, false refusals and citation
validity, each with the number of questions it averages over. The gate (tests/test_baseline.py)
runs the eval and fails when a figure moved by more than one question's worth (1 / that number)
in either direction: a regression must be fixed, and an improvement must update the baseline in
the same commit (``inclusie eval --update-baseline``), so the file always says what ships.
Citation validity must be 1.0 whatever the baseline says.

>>> within({"mrr@10": 0.80}, {"mrr@10": {"value": 0.79, "n": 50}}, "gold")
[]
>>> within({"mrr@10": 0.70}, {"mrr@10": {"value": 0.79, "n": 50}}, "gold")[0][:40]
'gold mrr@10: 0.700, baseline 0.790 (wors'
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

BASELINE_FILE = Path(__file__).with_name("baseline.json")
CONFIG = "hybrid"
LOWER_IS_BETTER = {"false_refusal_rate"}


def figures(report: dict, config: str = CONFIG) -> dict[str, dict[str, dict]]:
    """Per set, the gated figures of ``config`` with the number of questions behind each."""
    out: dict[str, dict[str, dict]] = {}
    for name, data in report["sets"].items():
        m = data["configs"][config]
        per_lang = m["retrieval_per_lang"]
        answerable = m["retrieval"].get("n", 0)
        a, rf = m["answers"], m["refusal"]
        row: dict[str, dict] = {}
        for lang in ("nl", "en"):
            if per_lang[lang].get("n"):
                row[f"hit@5_{lang}"] = {"value": per_lang[lang]["hit@5"], "n": per_lang[lang]["n"]}
        if answerable:
            row["mrr@10"] = {"value": m["retrieval"]["mrr@10"], "n": answerable}
            row["answer_recall"] = {"value": a["answer_recall"], "n": answerable}
            for lang in ("nl", "en"):
                n = per_lang[lang].get("n")
                if n:
                    value = m["answers_per_lang"][lang]["answer_recall"]
                    row[f"answer_recall_{lang}"] = {"value": value, "n": n}
            row["false_refusal_rate"] = {"value": rf["false_refusal_rate"], "n": answerable}
        if a.get("near_miss"):
            row["near_miss_handled"] = {"value": a["near_miss_handled"], "n": a["near_miss"]}
        row["citation_validity"] = {"value": a["citation_validity"], "n": 1}
        out[name] = {k: {"value": round(float(v["value"]), 4), "n": v["n"]} for k, v in row.items()}
    return out


def within(new: dict[str, float], base: dict[str, dict], set_name: str) -> list[str]:
    """Figures that moved by more than one question's worth, one Dutch/English line each."""
    problems = []
    for key, b in base.items():
        if key == "citation_validity" or key not in new:
            continue
        delta = new[key] - b["value"]
        if abs(delta) > 1.0 / b["n"] + 1e-9:
            better = delta < 0 if key in LOWER_IS_BETTER else delta > 0
            what = (
                "better: update evals/baseline.json in the same commit "
                "(inclusie eval --update-baseline)"
                if better
                else "worse than the baseline"
            )
            problems.append(
                f"{set_name} {key}: {new[key]:.3f}, baseline {b['value']:.3f} ({what}; "
                f"one question is {1.0 / b['n']:.3f})"
            )
    return problems


def check(report: dict, baseline: dict) -> list[str]:
    """Everything the gate objects to in a report (empty when it passes)."""
    problems = []
    now = figures(report)
    for set_name, base in baseline["sets"].items():
        if set_name not in now:
            problems.append(f"{set_name}: not in this report")
            continue
        got = {k: v["value"] for k, v in now[set_name].items()}
        if got.get("citation_validity", 1.0) < 1.0:
            problems.append(f"{set_name} citation_validity: {got['citation_validity']:.3f} < 1.0")
        problems += within(got, base, set_name)
    return problems


def load(path: Path = BASELINE_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(report: dict, path: Path = BASELINE_FILE) -> dict:
    """Write the baseline from a report of the default sets; returns what was written."""
    data = {
        "config": CONFIG,
        "about": (
            "Figures of the shipped configuration on the held-out sets; the gate "
            "(tests/test_baseline.py) allows one question's worth of change either way."
        ),
        "date": dt.date.today().isoformat(),
        "embedder": report.get("model", {}).get("embedder"),
        "sets": figures(report),
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return data
