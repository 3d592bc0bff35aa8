"""Report sections built from `stats.json`: overview, funnel, reasons, distributions, scores, labels."""

from __future__ import annotations

from typing import Any

from trajsift.report.charts import bar_list, histogram, legend_row, stacked_bar
from trajsift.report.html import (
    badge,
    card,
    chips,
    esc,
    fmt_int,
    fmt_num,
    fmt_pct,
    is_number,
    ratio,
    section,
    table,
    tag,
)

MAX_GROUP_ROWS = 25


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def overview(stats: dict[str, Any]) -> str:
    read, decisions = as_dict(stats.get("input")), as_dict(stats.get("decisions"))
    total = stats.get("total")
    kept, dropped, review = decisions.get("keep", 0), decisions.get("drop", 0), decisions.get("review", 0)
    errors = stats.get("rows_with_check_errors")
    cards = [
        card("input units", fmt_int(read.get("units"))),
        card("trajectories", fmt_int(total)),
        card("quarantined", fmt_int(read.get("quarantined")), "warn" if read.get("quarantined") else ""),
        card("kept", fmt_int(kept), "keep"),
        card("rejected", fmt_int(dropped), "drop"),
        card("review", fmt_int(review), "review"),
        card("keep rate", fmt_pct(ratio(kept, total))),
        card("rows with check errors", fmt_int(errors), "warn" if is_number(errors) and errors else ""),
    ]
    rate = stats.get("generation_rate_per_hour")
    if is_number(rate):
        cards.append(card("generated / hour", fmt_num(rate, 1)))
    legend = legend_row([("kept", "keep"), ("review", "review"), ("rejected", "drop")])
    overall = stacked_bar([(kept, "keep"), (review, "review"), (dropped, "drop")], total)
    return tag(
        "section",
        tag("div", "".join(cards), cls="cards") + overall + legend,
        id="overview",
    )


def funnel(stats: dict[str, Any]) -> str:
    stages = [as_dict(s) for s in as_list(stats.get("funnel"))]
    skipped = [s for s in stages if s.get("status") == "skipped"]
    alerts = "".join(
        tag(
            "div",
            tag("strong", f"Stage {esc(s.get('name'))} was SKIPPED")
            + ": "
            + esc(s.get("skip_reason") or "no reason given"),
            cls="alert",
        )
        for s in skipped
    )
    alerts += "".join(_unknown_alert(s) for s in stages if is_number(as_dict(s.get("unknown")).get("count")))
    first_in = next((s.get("in") for s in stages if is_number(s.get("in")) and s.get("in")), 0)
    rows = [_funnel_row(s, first_in) for s in stages]
    headers = ["stage", "status", "in", "passed", "dropped", "review", "pass rate", "", "top reasons"]
    note = "Each stage sees the rows earlier stages did not drop; review rows pass on."
    return section("funnel", "Funnel", alerts + table(headers, rows, cls="funnel", numeric=(2, 3, 4, 5, 6)), note)


def _unknown_alert(stage: dict[str, Any]) -> str:
    """Verdicts the stage could not give: counted apart so a run that could not test never looks clean."""
    unknown = as_dict(stage.get("unknown"))
    if not unknown.get("count"):
        return ""
    reasons = ", ".join(f"{k} {fmt_int(v)}" for k, v in as_dict(unknown.get("reasons")).items())
    text = f"{fmt_int(unknown['count'])} of {fmt_int(stage.get('in'))} verdicts unknown ({reasons})"
    if unknown.get("infrastructure"):
        text += f"; {fmt_int(unknown['infrastructure'])} because this host could not run the tests"
    return tag("div", tag("strong", f"Stage {esc(stage.get('name'))}") + ": " + esc(text), cls="alert")


def _funnel_row(stage: dict[str, Any], first_in: Any) -> list[str]:
    name = tag("strong", esc(stage.get("name")), title=str(stage.get("name")))
    if stage.get("status") == "skipped":
        reason = esc(stage.get("skip_reason") or "no reason given")
        return [name, badge("SKIPPED", "skipped"), "-", "-", "-", "-", "-", "", tag("span", reason, cls="skip-reason")]
    size, dropped, review = stage.get("in"), stage.get("dropped", 0), stage.get("review", 0)
    passed = stage.get("passed")
    kept_part = passed - review if is_number(passed) and is_number(review) else 0
    scale = 100 * ratio(size, first_in) if ratio(size, first_in) is not None else 100
    chart = tag(
        "div",
        stacked_bar([(kept_part, "keep"), (review, "review"), (dropped, "drop")], size),
        style=f"width:{min(scale, 100):.1f}%",
    )
    reasons = chips(f"{k} ({fmt_int(v)})" for k, v in as_dict(stage.get("top_reasons")).items())
    cells = [fmt_int(size), fmt_int(passed), fmt_int(dropped), fmt_int(review), fmt_pct(stage.get("pass_rate"))]
    return [name, badge("ran", "ran"), *cells, tag("div", chart, cls="funnel-bar"), reasons]


def reasons(stats: dict[str, Any]) -> str:
    left = tag("div", tag("h3", "Rejection reasons") + bar_list(as_dict(stats.get("reasons")), "drop"), cls="panel")
    right = tag(
        "div", tag("h3", "Findings (all stages)") + bar_list(as_dict(stats.get("findings")), "finding"), cls="panel"
    )
    note = "Reasons count rejected rows (a row may carry several); findings count every row a check flagged."
    return section("reasons", "Reasons", tag("div", left + right, cls="grid2"), note)


def distributions(stats: dict[str, Any]) -> str:
    groups = as_dict(stats.get("distributions"))
    panels, empty = [], []
    for name, values in groups.items():
        values = {str(k): as_dict(v) for k, v in as_dict(values).items()}
        if set(values) <= {"unknown"}:
            empty.append(str(name))
            continue
        panels.append(
            tag(
                "div",
                tag("h3", esc(str(name).capitalize())) + _group_table(values),
                cls="panel",
            )
        )
    note = f"No values recorded for: {', '.join(empty)}." if empty else ""
    return section("distributions", "Distributions", tag("div", "".join(panels), cls="grid2") if panels else "", note)


def _group_table(values: dict[str, dict[str, Any]]) -> str:
    items = sorted(
        values.items(), key=lambda kv: (-(kv[1].get("total") if is_number(kv[1].get("total")) else 0), kv[0])
    )
    rows = []
    for key, row in items[:MAX_GROUP_ROWS]:
        parts = [(row.get("keep"), "keep"), (row.get("review"), "review"), (row.get("drop"), "drop")]
        rows.append(
            [
                tag("span", esc(key), cls="key", title=key),
                fmt_int(row.get("total")),
                fmt_int(row.get("keep")),
                fmt_int(row.get("drop")),
                fmt_int(row.get("review")),
                fmt_pct(row.get("keep_rate")),
                stacked_bar(parts, row.get("total")),
            ]
        )
    more = tag("p", f"... and {len(items) - MAX_GROUP_ROWS} more", cls="note") if len(items) > MAX_GROUP_ROWS else ""
    return (
        table(
            ["value", "total", "kept", "rejected", "review", "keep rate", ""],
            rows,
            cls="groups",
            numeric=(1, 2, 3, 4, 5),
        )
        + more
    )


def scores(stats: dict[str, Any]) -> str:
    averages = as_dict(stats.get("averages"))
    summary = chips(f"{k}: {fmt_num(v)}" for k, v in averages.items() if is_number(v))
    families: dict[str, list[str]] = {}
    for name, data in as_dict(stats.get("scores")).items():
        family = str(name).rsplit(".", 1)[0] if "." in str(name) else "overall"
        families.setdefault(family, []).append(_hist_card(str(name), as_dict(data)))
    order = sorted(families, key=lambda f: (f != "overall", f))
    grids = "".join(
        tag("h3", esc(f), cls="score-family") + tag("div", "".join(families[f]), cls="hist-grid") for f in order
    )
    body = (tag("p", "Averages: " + summary, cls="averages") if summary else "") + grids
    return section(
        "scores", "Score distributions", body if families else tag("p", "no numeric score columns", cls="empty")
    )


def _hist_card(name: str, data: dict[str, Any]) -> str:
    keys = (("n", "count"), ("mean", "mean"), ("min", "min"), ("p50", "p50"), ("max", "max"))
    facts = " &middot; ".join(f"{label} {fmt_num(data.get(key))}" for label, key in keys)
    title = name.rsplit(".", 1)[-1]
    return tag(
        "div", tag("h4", esc(title), title=name) + histogram(data) + tag("p", facts, cls="facts"), cls="hist-card"
    )


LABEL_ROWS = (("resolved", "resolved"), ("unresolved", "unresolved"), ("unlabelled", "unlabelled_by_decision"))


def _label_rows(data: dict[str, Any]) -> list[list[str]]:
    """Kept / rejected / review / total per label (resolved, unresolved, unlabelled)."""
    rows = []
    for label, key in LABEL_ROWS:
        counts = as_dict(data.get(key))
        total = sum(v for v in counts.values() if is_number(v))
        cells = [fmt_int(counts.get(decision)) for decision in ("keep", "drop", "review")]
        rows.append([esc(label), *cells, fmt_int(total)])
    return rows


def labels(stats: dict[str, Any]) -> str:
    data = stats.get("labels")
    if not isinstance(data, dict):
        return section(
            "labels",
            "Outcome labels",
            tag("p", "No outcome labels matched this run (pass --labels to compare).", cls="empty"),
        )
    rows = _label_rows(data)
    rates = [
        ("resolved rate (labelled rows)", data.get("resolved_rate_input")),
        ("resolved rate among kept", data.get("resolved_rate_kept")),
        ("share of resolved rejected", data.get("resolved_rejected_share")),
    ]
    cards = "".join(
        card(label, fmt_pct(value), "drop" if "rejected" in label and is_number(value) and value > 0.01 else "")
        for label, value in rates
    )
    coverage = tag(
        "p",
        f"{fmt_int(data.get('labelled'))} rows labelled, {fmt_int(data.get('unlabelled'))} unlabelled; "
        "rates count labelled rows only.",
        cls="facts",
    )
    body = table(["label", "kept", "rejected", "review", "total"], rows, cls="labels", numeric=(1, 2, 3, 4)) + tag(
        "div", cards, cls="cards"
    )
    return section(
        "labels",
        "Outcome labels",
        coverage + body,
        "Decisions against the harness's resolved label, where one is known.",
    )
