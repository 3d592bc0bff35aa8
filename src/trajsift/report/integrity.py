"""The report's "Integrity" section: reward-hacking findings (`stats.json` `integrity`) over every row."""

from __future__ import annotations

from typing import Any

from trajsift.report.charts import bar_list
from trajsift.report.html import card, fmt_int, section, tag


def integrity(stats: dict[str, Any]) -> str:
    data = stats.get("integrity")
    if not isinstance(data, dict):
        return section("integrity", "Integrity", tag("p", "No integrity checks in this run.", cls="empty"))
    decisions = data.get("decisions") if isinstance(data.get("decisions"), dict) else {}
    flagged = data.get("rows_flagged") or 0
    cards = [
        card("rows flagged", fmt_int(flagged), "warn" if flagged else ""),
        card("then kept", fmt_int(decisions.get("keep", 0)), "keep"),
        card("then review", fmt_int(decisions.get("review", 0)), "review"),
        card("then rejected", fmt_int(decisions.get("drop", 0)), "drop"),
        card("labelled resolved", fmt_int(data.get("labelled_resolved", 0))),
    ]
    findings = data.get("findings") if isinstance(data.get("findings"), dict) else {}
    body = tag("div", "".join(cards), cls="cards") + tag("div", bar_list(findings, "finding"), cls="panel")
    note = (
        "Reward-hacking patterns (future-history reads, test tampering, grader shaping, hard-coding), counted on "
        "every row whatever its final decision; each flagged row's columns name the step to look at."
    )
    return section("integrity", "Integrity", body, note)
