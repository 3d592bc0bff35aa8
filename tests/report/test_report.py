"""`trajsift report`: a self-contained HTML page, built from a real run dir, safe against hostile data."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import orjson
import pytest
from typer.testing import CliRunner

from trajsift.cli.main import app
from trajsift.config import load_recipe
from trajsift.errors import InputError
from trajsift.report import render_report, write_report
from trajsift.report.charts import histogram
from trajsift.report.html import CSP
from trajsift.run import run_pipeline
from trajsift.run_samples import EXAMPLE_COLUMNS, MAX_EXAMPLES
from trajsift.rundata import load_run
from trajsift.schema import Action, ActionType, FinalState, Outcome, Source, Step, TaskRef, Trajectory

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)//"
END_STYLE = "</style><script>alert(2)</script>"
PAYLOADS = (SCRIPT, IMG, END_STYLE, "<img src=x", "<script")

RECIPE = f"""
shard_size: 16
stages:
  - name: {orjson.dumps("gate " + SCRIPT).decode()}
    keep:
      in: {{column: model, values: [good]}}
      reason: {orjson.dumps("bad_model " + IMG).decode()}
  - name: {orjson.dumps("off " + END_STYLE).decode()}
    enabled: false
    checks: [{{id: diversity.exact}}]
    keep: {{no_findings: {{}}}}
  - name: diversity
    checks: [{{id: diversity.exact}}]
    keep: {{no_findings: {{}}}}
  - name: review
    checks: [{{id: review.sample, params: {{fraction: 0.3}}}}]
    review: {{no_findings: {{}}}}
"""
N_ROWS = 88  # 22 "good" rows pass the gate, 66 are rejected: more than the example cap

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4", "nav", "a", "main",
    "section", "div", "span", "p", "strong", "code", "i", "table", "thead", "tbody", "tr", "th", "td",
    "svg", "line", "text", "rect", "details", "summary", "pre",
}  # fmt: skip


def hostile_trajectory(i: int) -> Trajectory:
    content = i - 4 if i % 16 == 4 else i  # some "good" rows repeat an earlier good row: exact duplicates
    return Trajectory(
        id=f"t{i:03d}-{SCRIPT}",
        source=Source(model="good" if i % 4 == 0 else f"m{i % 3} {IMG}", scaffold=f"sc {END_STYLE}", format="trajsift"),
        task=TaskRef(task_id=f"{JS_URL}task-{content % 7}", category=["bug_fix", f"cat {SCRIPT}"][i % 2]),
        steps=[Step(index=0, action=Action(type=ActionType.EDIT, command=f"edit {content}"))],
        final=FinalState(patch=f"diff --git a/f{content}.py b/f{content}.py\n", submitted=True),
        outcome=Outcome(resolved=i % 3 == 0),
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    data = root / f"in {IMG}.jsonl"
    lines = [hostile_trajectory(i).to_json() for i in range(N_ROWS)]
    lines.insert(5, f'{{"broken": "{SCRIPT}'.encode())
    data.write_bytes(b"\n".join(lines) + b"\n")
    recipe = root / "recipe.yaml"
    recipe.write_text(RECIPE)
    out = root / "out"
    run_pipeline([str(data)], out, load_recipe(str(recipe)))
    return out


@pytest.fixture(scope="module")
def page(run_dir):
    return write_report(run_dir).read_text(encoding="utf-8")


class TagAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def audit(page: str) -> TagAudit:
    parser = TagAudit()
    parser.feed(page)
    parser.close()
    return parser


def assert_safe(page: str) -> TagAudit:
    """Only known tags, no event handlers, no resource or script URLs, one stylesheet, no raw payload."""
    parsed = audit(page)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs
    assert [t for t, _ in parsed.tags].count("style") == 1
    assert page.count("</style>") == 1
    for payload in PAYLOADS:
        assert payload not in page, payload
    assert re.search(r"https?://", page) is None
    return parsed


def section_of(page: str, anchor: str) -> str:
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def test_report_is_offline_with_strict_csp_and_escapes_everything(page):
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    parsed = assert_safe(page)
    text = "".join(parsed.text)
    # the payloads are there, shown as text
    assert SCRIPT in text and IMG in text and JS_URL in text and END_STYLE in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_funnel_shows_skipped_stage_and_counts(page, run_dir):
    stats = orjson.loads((run_dir / "stats.json").read_bytes())
    funnel = section_of(page, "funnel")
    assert "SKIPPED" in funnel and "disabled in the recipe" in funnel
    assert 'class="alert"' in funnel and "off &lt;/style&gt;" in funnel
    gate = stats["funnel"][0]
    assert gate["in"] == N_ROWS and gate["dropped"] == N_ROWS - N_ROWS // 4
    row = funnel[funnel.index("gate &lt;script&gt;") :]
    assert [f">{gate[k]}<" in row.split("</tr>")[0] for k in ("in", "passed", "dropped")] == [True, True, True]
    assert "bad_model &quot;&gt;&lt;img" in row


def test_reasons_distributions_scores_labels(page, run_dir):
    stats = orjson.loads((run_dir / "stats.json").read_bytes())
    reasons = section_of(page, "reasons")
    assert stats["funnel"][2]["dropped"] == 6 and "diversity:" in reasons and "bad_model &quot;" in reasons
    dist = section_of(page, "distributions")
    assert "Model" in dist and "m1 &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in dist
    keep_rate = stats["distributions"]["model"]["good"]["keep_rate"]
    assert f"{keep_rate:.1%}" in dist
    scores = section_of(page, "scores")
    assert scores.count("<svg") == len(stats["scores"]) >= 1
    labels = section_of(page, "labels")
    resolved = stats["labels"]["resolved"]
    assert stats["labels"] is not None and f">{resolved['drop']}<" in labels


def test_quarantine_and_examples_are_capped(page, run_dir):
    quarantine = section_of(page, "quarantine")
    assert "1 quarantined rows" in quarantine and "in &quot;&gt;&lt;img" in quarantine
    rejected = section_of(page, "rejected")
    assert rejected.count("<tr>") - 1 == MAX_EXAMPLES
    assert (
        "Showing 50 of 72 rows, spread over stages and reasons" in rejected
    )  # 66 rejected by the gate, 6 exact duplicates
    assert "t001-&lt;script&gt;" in rejected and "javascript:alert(1)//task-1" in rejected


def test_examples_read_only_the_needed_columns(run_dir):
    data = load_run(run_dir)
    assert len(data.rejected.rows) == MAX_EXAMPLES
    assert all(set(row) <= set(EXAMPLE_COLUMNS) for row in data.rejected.rows)
    # the sample spreads over (stage, reason) groups: all 6 duplicates show up next to the gate's rejects
    assert sum(row["decided_by"] == "diversity" for row in data.rejected.rows) == 6
    ids = [row["trajectory_id"] for row in data.rejected.rows]
    assert ids == sorted(ids)  # file order is kept
    assert data.review.total is not None and data.review.total >= 1


def test_provenance(page, run_dir):
    run = orjson.loads((run_dir / "run.json").read_bytes())
    prov = section_of(page, "provenance")
    assert run["recipe_fingerprint"] in prov and run["versions"]["pyarrow"] in prov
    assert run["inputs"][0]["digest"] in prov and "Resolved recipe" in prov


def test_missing_optional_files_still_render(run_dir, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "stats.json").write_bytes((run_dir / "stats.json").read_bytes())
    (partial / "rejected.parquet").write_bytes(b"PAR1 not really parquet")
    page = render_report(load_run(partial))
    assert_safe(page)
    assert "run.json not found" in page and "rejected.parquet cannot be read" in page
    assert "review.parquet not found" in page


def test_hostile_stats_file_with_wrong_types(tmp_path):
    stats = {
        "input": {"units": SCRIPT, "quarantined": 2, "quarantine_reasons": {IMG: 2, SCRIPT: "x"}},
        "total": "lots",
        "decisions": {"keep": IMG, "drop": None},
        "funnel": [
            {"name": SCRIPT, "status": "skipped", "skip_reason": END_STYLE},
            {
                "name": IMG,
                "status": "ran",
                "in": "9",
                "passed": 3,
                "dropped": 6,
                "review": 0,
                "top_reasons": {SCRIPT: 6},
            },
            "not a stage",
        ],
        "reasons": {IMG: 5, JS_URL: 1},
        "findings": [SCRIPT],
        "distributions": {SCRIPT: {IMG: {"total": 3, "keep": 1, "keep_rate": SCRIPT}}, "model": "nope"},
        "scores": {SCRIPT: {"count": 3, "histogram": {"lo": IMG, "hi": 2, "counts": [1, SCRIPT, -4]}}, IMG: None},
        "averages": {END_STYLE: 0.5},
        "labels": {"resolved": {"keep": SCRIPT}, "resolved_rate_kept": IMG},
        "generation_rate_per_hour": SCRIPT,
    }
    (tmp_path / "stats.json").write_bytes(orjson.dumps(stats))
    (tmp_path / "run.json").write_bytes(orjson.dumps({"recipe_fingerprint": IMG, "inputs": [{"path": SCRIPT}, 3]}))
    (tmp_path / "quarantine.jsonl").write_text(f'{{"reason": "{IMG}"}}\n<script>x</script>\n[1]\n')
    page = render_report(load_run(tmp_path))
    assert_safe(page)
    assert "SKIPPED" in page and "&lt;/style&gt;" in page


def test_histogram_svg_geometry():
    svg = histogram({"histogram": {"lo": 0.0, "hi": 1.0, "counts": [0, 5, 10, 5]}})
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 4 and heights[0] == 0 and heights[2] == max(heights) and heights[1] == heights[3]
    assert "<title>[0.25, 0.5): 5</title>" in svg
    assert "no values" in histogram({})


def test_cli_writes_report_and_fails_cleanly(run_dir, tmp_path):
    runner = CliRunner()
    target = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(run_dir), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    into_folder = runner.invoke(app, ["report", str(run_dir), "--out", str(tmp_path)])
    assert into_folder.exit_code == 0 and (tmp_path / "report.html").is_file()
    unwritable = runner.invoke(app, ["report", str(run_dir), "-o", str(target / "sub" / "r.html")])
    assert unwritable.exit_code == 2 and "cannot write the report" in unwritable.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "error:" in missing.output and "Traceback" not in missing.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "stats.json").write_text("{not json")
    with pytest.raises(InputError):
        load_run(tmp_path / "bad")
