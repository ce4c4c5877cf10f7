"""Structured results of an evaluation run, and their three renderings: terminal, JSON, HTML.

:func:`build_results` turns ``pydantic-evals``' report into plain JSON data (per case: scores,
assertions with reasons, labels, duration, error; a summary; for datasets with criterion
statuses, accuracy by label and a confusion matrix against the expected statuses). The JSON
report *is* that data (:func:`write_json`), so two runs compare without re-running
(:func:`compare`). Reports hold ids, scores, statuses and reasons naming items by id; no agent
output, no input text.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pydantic_evals.reporting import EvaluationReport

from common.evals.models import EvalInputs, EvalOutput

__all__ = ["STATUSES", "build_results", "compare", "render_html", "render_terminal", "write_reports"]

STATUSES = ("met", "not_met", "insufficient_information", "not_applicable")
_SCHEMA = "agentjobs.eval/1"


def _statuses(output: dict[str, Any]) -> list[str]:
    criteria = output.get("criteria")
    if not isinstance(criteria, list):
        return []
    return [str(cast(dict[str, Any], c).get("status")) for c in cast(list[Any], criteria) if isinstance(c, dict)]


def _per_label(pairs: list[tuple[str, str]], labels: tuple[str, ...]) -> dict[str, Any]:
    confusion = {e: dict.fromkeys(labels, 0) for e in labels}
    for expected, predicted in pairs:
        confusion.setdefault(expected, dict.fromkeys(labels, 0))
        confusion[expected][predicted] = confusion[expected].get(predicted, 0) + 1
    per: dict[str, dict[str, float | int | None]] = {}
    for label in labels:
        tp = confusion.get(label, {}).get(label, 0)
        support = sum(confusion.get(label, {}).values())
        predicted = sum(row.get(label, 0) for row in confusion.values())
        per[label] = {
            "precision": round(tp / predicted, 4) if predicted else None,
            "recall": round(tp / support, 4) if support else None,
            "support": support,
        }
    right = sum(1 for e, p in pairs if e == p)
    return {
        "labels": list(labels),
        "accuracy": round(right / len(pairs), 4) if pairs else None,
        "criteria": len(pairs),
        "per_label": per,
        "confusion": confusion,
    }


def build_results(
    report: EvaluationReport[EvalInputs, EvalOutput, dict[str, Any]], *, settings: dict[str, Any]
) -> dict[str, Any]:
    """The structured results of a run (the JSON report's content).

    Args:
        report: ``pydantic-evals``' report.
        settings: How it ran (target, model, judge model, concurrency), recorded as is.
    """
    cases: list[dict[str, Any]] = []
    status_pairs: list[tuple[str, str]] = []
    gpt4_pairs: list[tuple[str, str]] = []
    for case in report.cases:
        expected = cast(dict[str, Any], case.expected_output) if isinstance(case.expected_output, dict) else {}
        entry: dict[str, Any] = {
            "name": case.name,
            "scores": {k: v.value for k, v in case.scores.items()},
            "assertions": {k: {"value": bool(v.value), "reason": v.reason} for k, v in case.assertions.items()},
            "labels": {k: v.value for k, v in case.labels.items()},
            "duration_s": round(case.task_duration, 4),
            "error": None,
        }
        expected_statuses = cast(list[str], expected.get("statuses") or [])
        if expected_statuses:
            predicted = _statuses(case.output.output)
            types = cast(list[str], expected.get("types") or [])
            gpt4 = cast(list[str | None], expected.get("gpt4_statuses") or [])
            entry["criteria"] = [
                {"index": i, "type": types[i] if i < len(types) else None, "expected": e, "predicted": p}
                for i, (e, p) in enumerate(zip(expected_statuses, predicted, strict=False))
            ]
            status_pairs.extend(zip(expected_statuses, predicted, strict=False))
            gpt4_pairs.extend((e, g) for e, g in zip(expected_statuses, gpt4, strict=False) if g is not None)
        if case.output.judgements:
            entry["job_judgements"] = [
                {k: j.get(k) for k in ("judge", "pass", "score", "reason_code")} for j in case.output.judgements
            ]
        cases.append(entry)
    for failure in report.failures:
        cases.append(
            {
                "name": failure.name,
                "scores": {},
                "assertions": {},
                "labels": {},
                "duration_s": None,
                "error": failure.error_message.splitlines()[0][:300] if failure.error_message else "failed",
            }
        )
    scores: dict[str, list[float]] = {}
    assertions: dict[str, list[bool]] = {}
    for c in cases:
        for k, v in c["scores"].items():
            if isinstance(v, int | float):
                scores.setdefault(k, []).append(float(v))
        for k, v in c["assertions"].items():
            assertions.setdefault(k, []).append(bool(v["value"]))
    all_assertions = [v for values in assertions.values() for v in values]
    results: dict[str, Any] = {
        "schema": _SCHEMA,
        "dataset": report.name,
        "finished_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "settings": settings,
        "summary": {
            "cases": len(cases),
            "failed": len(report.failures),
            "assertion_pass_rate": round(sum(all_assertions) / len(all_assertions), 4) if all_assertions else None,
            "scores": {k: round(sum(v) / len(v), 4) for k, v in sorted(scores.items())},
            "assertions": {k: round(sum(v) / len(v), 4) for k, v in sorted(assertions.items())},
        },
        "cases": cases,
    }
    if status_pairs:
        results["statuses"] = _per_label(status_pairs, STATUSES)
        if gpt4_pairs:
            results["statuses"]["gpt4_baseline_accuracy"] = _per_label(gpt4_pairs, STATUSES)["accuracy"]
    return results


def write_reports(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write ``<dataset>.json`` and ``<dataset>.html`` into ``out_dir`` (created if needed)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / f"{results['dataset']}.json", "html": out_dir / f"{results['dataset']}.html"}
    paths["json"].write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["html"].write_text(render_html(results), encoding="utf-8")
    return paths


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "✔" if value else "✗"
    if isinstance(value, float):
        return f"{value:.3f}"
    return "—" if value is None else str(value)


def render_terminal(results: dict[str, Any]) -> str:
    """A plain-text table of the cases and the summary (rich renders it in the CLI)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"eval {results['dataset']}")
    score_names = list(results["summary"]["scores"])
    for column in ("case", *score_names, "assertions", "s"):
        table.add_column(column)
    for case in results["cases"]:
        if case["error"]:
            table.add_row(case["name"], *(["—"] * len(score_names)), f"error: {case['error'][:60]}", "—")
            continue
        marks = "".join(_fmt(a["value"]) for a in case["assertions"].values())
        table.add_row(
            case["name"], *(_fmt(case["scores"].get(n)) for n in score_names), marks, _fmt(case["duration_s"])
        )
    summary = results["summary"]
    table.add_row("mean", *(_fmt(summary["scores"][n]) for n in score_names), _fmt(summary["assertion_pass_rate"]), "")
    console = Console(width=160)
    with console.capture() as captured:
        console.print(table)
        statuses = results.get("statuses")
        if statuses:
            console.print(
                f"criterion-level accuracy vs physicians: {_fmt(statuses['accuracy'])} ({statuses['criteria']})"
            )
            if statuses.get("gpt4_baseline_accuracy") is not None:
                console.print(f"GPT-4 baseline in the data: {_fmt(statuses['gpt4_baseline_accuracy'])}")
            for label, row in statuses["per_label"].items():
                console.print(
                    f"  {label:25} precision {_fmt(row['precision'])} recall {_fmt(row['recall'])} n={row['support']}"
                )
    return captured.get()


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.pass{color:#0a0}.fail{color:#c00}.err{color:#c00;font-weight:bold}
details{margin:.2rem 0}summary{cursor:pointer}
"""


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return f'<span class="{"pass" if value else "fail"}">{"✔" if value else "✗"}</span>'
    return html.escape(_fmt(value))


def render_html(results: dict[str, Any]) -> str:
    """A static, self-contained HTML report: summary, case table with drill-down, confusion matrix."""
    e = html.escape
    summary = results["summary"]
    score_names = list(summary["scores"])
    rows: list[str] = []
    for case in results["cases"]:
        if case["error"]:
            rows.append(
                f'<tr class="case"><td>{e(case["name"])}</td>'
                f'<td colspan="{len(score_names) + 2}" class="err">error: {e(case["error"])}</td></tr>'
            )
            continue
        assertions = "".join(
            f"<li>{_cell(a['value'])} {e(name)}{(': ' + e(str(a['reason']))) if a['reason'] else ''}</li>"
            for name, a in case["assertions"].items()
        )
        criteria: list[dict[str, Any]] = case.get("criteria") or []
        drill = ""
        if criteria:
            drill = (
                "<table><tr><th>#</th><th>type</th><th>expected</th><th>predicted</th></tr>"
                + "".join(
                    f"<tr><td>C{c['index']}</td><td>{e(str(c['type']))}</td><td>{e(c['expected'])}</td>"
                    f"<td>{_cell(c['predicted'] == c['expected'])} {e(c['predicted'])}</td></tr>"
                    for c in criteria
                )
                + "</table>"
            )
        marks = "".join(_cell(a["value"]) for a in case["assertions"].values())
        rows.append(
            f'<tr class="case"><td>{e(case["name"])}</td>'
            + "".join(f"<td>{_cell(case['scores'].get(n))}</td>" for n in score_names)
            + f"<td><details><summary>{marks}</summary><ul>{assertions}</ul>{drill}</details></td>"
            + f"<td>{_cell(case['duration_s'])}</td></tr>"
        )
    mean_row = (
        "<tr><th>mean</th>"
        + "".join(f"<th>{_cell(summary['scores'][n])}</th>" for n in score_names)
        + f"<th>{_cell(summary['assertion_pass_rate'])}</th><th></th></tr>"
    )
    head = "".join(f"<th>{e(n)}</th>" for n in ("case", *score_names, "assertions", "duration (s)"))
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>agentjobs eval: {e(results['dataset'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>agentjobs eval: {e(results['dataset'])}</h1>",
        f"<p>{summary['cases']} cases, {summary['failed']} failed, finished {e(results['finished_at'])}; "
        f"settings: {e(json.dumps(results['settings']))}</p>",
        f'<table id="cases"><thead><tr>{head}</tr></thead>',
        f"<tbody>{''.join(rows)}</tbody><tfoot>{mean_row}</tfoot></table>",
    ]
    statuses = results.get("statuses")
    if statuses:
        labels = statuses["labels"]
        matrix = "".join(
            f"<tr><th>{e(expected)}</th>"
            + "".join(f"<td>{statuses['confusion'].get(expected, {}).get(p, 0)}</td>" for p in labels)
            + "</tr>"
            for expected in labels
        )
        per = "".join(
            f"<tr><td>{e(label)}</td><td>{_cell(row['precision'])}</td><td>{_cell(row['recall'])}</td>"
            f"<td>{row['support']}</td></tr>"
            for label, row in statuses["per_label"].items()
        )
        parts += [
            f"<h2>Criterion statuses</h2><p>accuracy vs physicians {_cell(statuses['accuracy'])} over "
            f"{statuses['criteria']} criteria"
            + (
                f"; GPT-4 baseline in the data {_cell(statuses['gpt4_baseline_accuracy'])}"
                if statuses.get("gpt4_baseline_accuracy") is not None
                else ""
            )
            + "</p>",
            '<table id="confusion"><tr><th>expected \\ predicted</th>'
            + "".join(f"<th>{e(p)}</th>" for p in labels)
            + f"</tr>{matrix}</table>",
            f"<table><tr><th>status</th><th>precision</th><th>recall</th><th>n</th></tr>{per}</table>",
        ]
    parts.append("</body></html>\n")
    return "".join(parts)


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Per-case differences between two runs' results, and the regressions.

    A regression is a case that failed only in ``after``, an assertion true in ``before`` and false
    in ``after``, or a score lower in ``after``.

    Returns:
        ``{"cases": [{name, changes: [...]}], "regressions": [{case, what, before, after}],
        "improvements": [...]}``.
    """
    old = {c["name"]: c for c in before["cases"]}
    new = {c["name"]: c for c in after["cases"]}
    regressions: list[dict[str, Any]] = []
    improvements: list[dict[str, Any]] = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a is None or b is None:
            (improvements if a is None else regressions).append(
                {"case": name, "what": "case", "before": a is not None, "after": b is not None}
            )
            continue
        if bool(a["error"]) != bool(b["error"]):
            (regressions if b["error"] else improvements).append(
                {"case": name, "what": "error", "before": a["error"], "after": b["error"]}
            )
        for key in a["assertions"].keys() | b["assertions"].keys():
            va = a["assertions"].get(key, {}).get("value")
            vb = b["assertions"].get(key, {}).get("value")
            if va is True and vb is False:
                regressions.append({"case": name, "what": key, "before": va, "after": vb})
            elif va is False and vb is True:
                improvements.append({"case": name, "what": key, "before": va, "after": vb})
        for key in a["scores"].keys() | b["scores"].keys():
            sa, sb = a["scores"].get(key), b["scores"].get(key)
            if isinstance(sa, int | float) and isinstance(sb, int | float) and abs(sa - sb) > 1e-9:
                (regressions if sb < sa else improvements).append(
                    {"case": name, "what": key, "before": sa, "after": sb}
                )
    return {
        "before": before["dataset"],
        "after": after["dataset"],
        "regressions": regressions,
        "improvements": improvements,
    }
