"""HTML fragments of the dashboard, one per section, built with the report's escaping and SVG charts.

Every value from a run goes through `esc` (or a chart that escapes); the fragments are safe HTML that
the page embeds and the live endpoint sends for the browser to swap in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from trajsift import columns as col
from trajsift.dashboard.model import RunView
from trajsift.report.charts import histogram, legend_row, svg_bars, svg_columns, svg_lines, svg_meter, svg_stacked_rows
from trajsift.report.html import card, esc, fmt_int, fmt_num, fmt_pct, is_number, ratio, tag
from trajsift.report.sections import as_dict, as_list

GROUPS = ("category", "difficulty", "model", "scaffold")
FEATURED_SCORES = (
    col.QUALITY_SCORE,
    col.COHERENCE_SCORE,
    col.COMPLETENESS_SCORE,
    col.EFFICIENCY_SCORE,
    col.NEAR_ACTION_NOVELTY,
    col.APPROACH_NOVELTY,
)
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
WIDE = 1100
DECISION_KEY = legend_row([("kept", "seg-key-keep"), ("review", "seg-key-review"), ("rejected", "seg-key-drop")])


def _panel(title: str, body: str, note: str = "") -> str:
    return tag("div", tag("h3", esc(title)) + (tag("p", esc(note), cls="note") if note else "") + body, cls="panel")


def status_fragment(view: RunView) -> str:
    """Status badge, phase meters while running, and the headline numbers."""
    progress = as_dict(view.progress)
    badge = tag("span", esc(view.status.upper()), cls=f"status status-{esc(view.status)}")
    phases = "".join(_phase_row(as_dict(p)) for p in as_list(progress.get("phases"))[-8:])
    times = f"started {progress.get('started_at')}, updated {progress.get('updated_at')}" if progress else ""
    head = tag("div", badge + tag("span", esc(times), cls="note"), cls="status-line")
    return head + (tag("div", phases, cls="phases") if phases else "") + _cards(view)


def _phase_row(phase: dict[str, Any]) -> str:
    done, total = phase.get("done"), phase.get("total")
    finished = bool(phase.get("finished"))
    sized = is_number(total) and total > 0
    if sized and is_number(done):
        done = min(done, total)  # global stages advance once to annotate and once to assign each shard
    count = f"{fmt_int(done)} / {fmt_int(total)}" if sized else fmt_int(done)
    meter = svg_meter(1, 1) if finished else svg_meter(done, total if sized else 0)
    kind = "phase done" if finished else "phase active"
    return tag("div", tag("span", esc(phase.get("name")), cls="phase-name") + meter + tag("span", count), cls=kind)


def _cards(view: RunView) -> str:
    stats = as_dict(view.stats)
    if view.status == "running" or view.live is not None:
        return _live_cards(view, stats)
    decisions, total = as_dict(stats.get("decisions")), stats.get("total")
    cards = [
        card("trajectories", fmt_int(total)),
        card("kept", fmt_int(decisions.get("keep")), "keep"),
        card("review", fmt_int(decisions.get("review")), "review"),
        card("rejected", fmt_int(decisions.get("drop")), "drop"),
        card("keep rate", fmt_pct(ratio(decisions.get("keep"), total))),
        card("mean quality", fmt_num(as_dict(stats.get("averages")).get(col.QUALITY_SCORE))),
        card("generated / hour", fmt_num(stats.get("generation_rate_per_hour"), 1)),
        card("quarantined", fmt_int(as_dict(stats.get("input")).get("quarantined")), "warn"),
    ]
    return tag("div", "".join(cards), cls="cards")


def _live_cards(view: RunView, stats: dict[str, Any]) -> str:
    """While running: the stage in progress, its shards, and the decisions of the rows it has decided."""
    live = as_dict(view.live)
    decisions, total = as_dict(stats.get("decisions")), stats.get("total")
    shards = f"{fmt_int(live.get('shards_done'))} / {fmt_int(live.get('shards_total'))}"
    cards = [
        card("trajectories read", fmt_int(as_dict(view.progress).get("rows"))),
        card(f"stage {live.get('stage') or '-'}: shards", shards if live else "-"),
        card("rows decided so far", fmt_int(total)),
        card("alive so far", fmt_int(decisions.get("keep")), "keep"),
        card("review so far", fmt_int(decisions.get("review")), "review"),
        card("dropped so far", fmt_int(decisions.get("drop")), "drop"),
        card("mean quality so far", fmt_num(as_dict(stats.get("averages")).get(col.QUALITY_SCORE))),
    ]
    return tag("div", "".join(cards), cls="cards")


def _drill(view: RunView, column: str, values: list[Any], label: str) -> str:
    """Links from a chart to the review queue rows behind it (filtered on the same run and value)."""
    links = []
    for value in values[:12]:
        href = "/queue?" + urlencode({"run_key": view.key, column: str(value)})
        links.append(tag("a", esc(value), href=href))
    return tag("p", esc(label) + " " + " · ".join(links), cls="drill note") if links else ""


def alerts_fragment(view: RunView) -> str:
    alerts = [as_dict(a) for a in as_list(as_dict(view.alerts).get("alerts"))]
    if not alerts:
        return tag("p", "No alert rules evaluated for this run.", cls="empty")
    alerts.sort(key=lambda a: (a.get("status") != "fired", SEVERITY_ORDER.get(str(a.get("severity")), 3)))
    items = []
    for alert in alerts:
        fired = alert.get("status") == "fired"
        kind = f"alert-item {'fired' if fired else 'quiet'} sev-{esc(alert.get('severity'))}"
        label = tag("span", esc(str(alert.get("severity", "")).upper() if fired else alert.get("status")), cls="sev")
        body = tag("strong", esc(alert.get("name"))) + tag("div", esc(alert.get("message")), cls="msg")
        first = as_dict(alert.get("fired_live"))
        if first:
            where = f"fired during the run at {first.get('at')}: stage {first.get('stage')}, "
            where += f"shard {fmt_int(first.get('shards_done'))} of {fmt_int(first.get('shards_total'))}"
            body += tag("div", esc(where), cls="note live-fired")
        hook = as_dict(alert.get("webhook"))
        if hook:
            sent = "webhook delivered" if hook.get("delivered") else f"webhook failed: {hook.get('error')}"
            body += tag("div", esc(sent), cls="note")
        items.append(tag("div", label + tag("div", body), cls=kind))
    fired = sum(a.get("status") == "fired" for a in alerts)
    summary = tag("p", f"{fired} of {len(alerts)} alert rules fired", cls="note")
    return summary + "".join(items)


def funnel_fragment(view: RunView) -> str:
    stats = as_dict(view.stats)
    live = view.status == "running" or view.live is not None
    stages = [as_dict(s) for s in as_list(stats.get("funnel"))]
    first = next((s.get("in") for s in stages if is_number(s.get("in")) and s.get("in")), 0)
    rows = []
    for stage in stages:
        if stage.get("status") == "skipped":
            rows.append((stage.get("name"), [], "skipped"))
            continue
        passed, review, dropped = stage.get("passed", 0), stage.get("review", 0), stage.get("dropped", 0)
        kept = passed - review if is_number(passed) and is_number(review) else passed
        label = f"{stage.get('name')} ({fmt_int(stage.get('in'))})"  # rows in; the rate stays short
        rows.append((label, [(kept, "keep"), (review, "review"), (dropped, "drop")], fmt_pct(stage.get("pass_rate"))))
    note = "Each stage sees what earlier stages kept; the right column is the stage's pass rate."
    if live:
        note = f"Live: rows decided so far, up to stage {as_dict(view.live).get('stage') or '-'}."
    if not rows:
        return tag("p", "No stage has decided a shard yet.", cls="empty")
    return tag("p", esc(note), cls="note") + svg_stacked_rows(rows, first, width=WIDE) + DECISION_KEY


def distributions_fragment(view: RunView) -> str:
    dists = as_dict(as_dict(view.stats).get("distributions"))
    if not dists:
        return tag("p", "No rows decided yet.", cls="empty")
    panels = []
    for group in GROUPS:
        groups = as_dict(dists.get(group))
        ordered = sorted(groups.items(), key=lambda kv: -(as_dict(kv[1]).get("total") or 0))
        rows = [_distribution_row(name, as_dict(counts)) for name, counts in ordered]
        drill = _drill(view, group, [name for name, _counts in ordered], "Review rows:")
        panels.append(_panel(f"by {group} (keep rate)", svg_stacked_rows(rows, limit=12) + drill))
    return tag("div", "".join(panels), cls="grid2") + DECISION_KEY


def _distribution_row(name: str, counts: dict[str, Any]) -> tuple[str, list[tuple[Any, str]], str]:
    parts = [(counts.get("keep"), "keep"), (counts.get("review"), "review"), (counts.get("drop"), "drop")]
    return f"{name} ({fmt_int(counts.get('total'))})", parts, fmt_pct(counts.get("keep_rate"))


def scores_fragment(view: RunView) -> str:
    stored = as_dict(as_dict(view.stats).get("scores"))
    scores = {col.current_name(name): summary for name, summary in stored.items()}  # runs from before a rename
    names = [n for n in FEATURED_SCORES if n in scores] or sorted(scores)[:6]
    cards = []
    for name in names:
        summary = as_dict(scores.get(name))
        facts = (
            f"n={fmt_int(summary.get('count'))} mean={fmt_num(summary.get('mean'))} p50={fmt_num(summary.get('p50'))}"
        )
        cards.append(
            tag(
                "div",
                tag("h4", esc(name), title=name) + histogram(summary) + tag("p", facts, cls="facts"),
                cls="hist-card",
            )
        )
    return tag("div", "".join(cards), cls="hist-grid") if cards else tag("p", "No scores yet.", cls="empty")


def trend_fragment(view: RunView) -> str:
    trend = as_dict(view.trend)
    labels = [str(x) for x in as_list(trend.get("labels"))]
    if not labels:
        return tag("p", "No shard decided yet.", cls="empty")
    lines = [("keep rate", trend.get("keep_rate"), "keep"), ("mean quality", trend.get(col.QUALITY_SCORE), "quality")]
    lines += [("tests correct", trend.get("correct_rate"), "review"), ("resolved", trend.get("resolved_rate"), "warn")]
    lines = [(n, v, k) for n, v, k in lines if any(is_number(x) for x in as_list(v))]
    basis = str(trend.get("unit") or ("started_at batches" if trend.get("timed") else "rows in input order"))
    rate = as_list(trend.get("per_hour"))
    rate_chart = (
        _panel("generation rate (trajectories / hour)", svg_columns(rate, labels, "neutral"))
        if any(is_number(r) for r in rate)
        else _panel("trajectories per batch", svg_columns(as_list(trend.get("rows")), labels, "neutral"))
    )
    return tag("div", _panel(f"quality over generation ({basis})", svg_lines(lines, labels)) + rate_chart, cls="grid2")


def reasons_fragment(view: RunView) -> str:
    reasons = as_dict(as_dict(view.stats).get("reasons"))
    if not reasons:
        return tag("p", "No rejections.", cls="empty")
    top = sorted(reasons, key=lambda r: -(reasons[r] or 0) if is_number(reasons[r]) else 0)
    return svg_bars(reasons, "drop", limit=15, width=WIDE) + _drill(view, "q", top, "Review rows with:")


def tabs_fragment(keys: list[str], current: str) -> str:
    """Links to every served run's dashboard (the list grows while `serve` watches its folders)."""
    if not keys:
        return tag("span", "No run yet: runs written into the watched folders appear here.", cls="note")
    links = [
        tag("a", esc(k), href="/dashboard?" + urlencode({"run": k}), cls="current" if k == current else "")
        for k in keys
    ]
    return "".join(links)


def runs_fragment(views: list[RunView]) -> str:
    """Trends across runs (in the order given) and one summary row each."""
    labels = [v.key for v in views]
    stats = [as_dict(v.stats) for v in views]
    keep = [ratio(as_dict(s.get("decisions")).get("keep"), s.get("total")) for s in stats]
    quality = [as_dict(s.get("averages")).get(col.QUALITY_SCORE) for s in stats]
    resolved = [as_dict(s.get("labels")).get("resolved_rate_kept") for s in stats]
    lines = [("keep rate", keep, "keep"), ("mean quality", quality, "quality"), ("resolved (kept)", resolved, "warn")]
    lines = [(n, v, k) for n, v, k in lines if any(is_number(x) for x in v)]
    totals = svg_columns([s.get("total") for s in stats], labels, "neutral")
    return tag(
        "div",
        _panel("quality across runs", svg_lines(lines, labels)) + _panel("trajectories per run", totals),
        cls="grid2",
    )
