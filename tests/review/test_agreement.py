"""Cohen's kappa, reviewer pairs, reviewer-vs-pipeline confusion, and `trajsift finalize`."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from trajsift.cli.main import app as cli
from trajsift.review.agreement import cohen_kappa, confusion, pipeline_agreement, reviewer_pairs
from trajsift.review.finalize import resolve
from trajsift.reviewdb import ReviewItem


def test_kappa_textbook_example():
    # 50 items: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> p_o = .7, p_e = .5, kappa = .4
    pairs = [("accept", "accept")] * 20 + [("accept", "reject")] * 5 + [("reject", "accept")] * 10
    pairs += [("reject", "reject")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_kappa_edges():
    assert cohen_kappa([]) is None
    assert cohen_kappa([("accept", "accept")] * 5) == 1.0
    assert cohen_kappa([("accept", "reject"), ("reject", "accept")]) == pytest.approx(-1.0)
    three = [("accept", "accept"), ("reject", "reject"), ("flag", "flag"), ("flag", "accept")]
    # p_o = 3/4; marginals A: a1 r1 f2, B: a2 r1 f1 -> p_e = (2 + 1 + 2) / 16
    assert cohen_kappa(three) == pytest.approx((0.75 - 5 / 16) / (1 - 5 / 16))


def test_pairs_take_the_first_two_distinct_reviewers():
    labels = [(1, 10, "accept", 1.0), (1, 11, "reject", 2.0), (1, 12, "accept", 3.0), (2, 10, "flag", 1.0)]
    assert reviewer_pairs(labels) == [("accept", "reject")]


def test_confusion_against_pipeline():
    labels = [(1, 1, "accept", 0), (2, 1, "reject", 0), (3, 1, "reject", 0), (4, 1, "accept", 0), (5, 1, "flag", 0)]
    matrix = confusion(labels, {1: "keep", 2: "keep", 3: "drop", 4: "drop", 5: "review"})
    assert matrix["accept"] == {"keep": 1, "drop": 1, "review": 0}
    assert matrix["reject"] == {"keep": 1, "drop": 1, "review": 0}
    assert matrix["flag"]["review"] == 1
    summary = pipeline_agreement(matrix)
    assert summary["agreement"] == 0.5 and summary["kept_but_rejected"] == 0.5


def test_resolve():
    assert resolve(["accept", "accept"]) == "accept"
    assert resolve(["reject"]) == "reject"
    assert resolve(["accept", "reject"]) == "flag"
    assert resolve(["flag"]) == "flag"


def test_agreement_endpoint_and_finalize(make_app, hostile_run, tmp_path):
    from fastapi.testclient import TestClient

    from .helpers import login

    app = make_app(kept_share=1.0)
    store = app.state.store
    users = {name: uid for uid, name in store.user_names().items()}
    with app.state.sessions() as db:
        items = db.scalars(select(ReviewItem).order_by(ReviewItem.id)).all()
    review_items = [i for i in items if i.origin == "review"]
    kept_items = [i for i in items if i.origin == "kept_sample"]
    store.save_label(review_items[0].id, users["alice"], -1, "accept", [], "", 0)
    store.save_label(review_items[1].id, users["alice"], -1, "reject", [], "", 0)
    store.save_label(review_items[2].id, users["alice"], -1, "accept", [], "", 0)
    store.save_label(review_items[2].id, users["bob"], -1, "reject", [], "", 0)
    store.save_label(kept_items[0].id, users["bob"], -1, "reject", [], "", 0)
    store.save_label(kept_items[1].id, users["bob"], -1, "flag", [], "", 0)
    client = TestClient(app)
    login(client, "carol")
    report = client.get("/api/agreement").json()
    assert report["reviewers"]["pairs"] == 1 and report["labels"] == 6
    reviewers = {row["reviewer"]: row for row in report["per_reviewer"]}
    assert reviewers["alice"]["labels"] == 3 and reviewers["alice"]["peer_agreement"] == 0.0
    assert reviewers["bob"]["peer_pairs"] == 1 and reviewers["bob"]["pipeline_decided"] == 2
    assert reviewers["bob"]["pipeline_agreement"] == 0.0  # rejected two rows the pipeline kept
    checks = {row["check"]: row for row in report["per_check"]}
    assert checks["(none: kept)"]["reject"] >= 1
    assert sum(row["accept"] + row["reject"] + row["flag"] for row in report["per_check"]) >= 6
    page = client.get("/agreement").text
    assert 'id="per-reviewer"' in page and 'id="per-check"' in page and "alice" in page

    db_url = str(app.state.engine.url)
    out = tmp_path / "final.parquet"
    result = CliRunner().invoke(cli, ["finalize", str(hostile_run), "--db", db_url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    final = pq.read_table(out)
    ids, labels = final.column("trajectory_id").to_pylist(), final.column("review_decision").to_pylist()
    decisions = dict(zip(ids, labels, strict=True))
    kept_ids = set(pq.read_table(hostile_run / "kept.parquet", columns=["trajectory_id"]).column(0).to_pylist())
    assert decisions[review_items[0].trajectory_id] == "accept"
    assert review_items[1].trajectory_id not in decisions
    assert decisions[review_items[2].trajectory_id] == "flag"  # reviewers disagree: kept, marked
    assert kept_items[0].trajectory_id not in decisions
    assert decisions[kept_items[1].trajectory_id] == "flag"
    assert set(decisions) == (kept_ids - {kept_items[0].trajectory_id}) | {
        review_items[0].trajectory_id,
        review_items[2].trajectory_id,
    }
    assert "trajectory" in final.column_names


def test_users_add_cli(tmp_path, hostile_run):
    password = tmp_path / "pw"
    password.write_text("a long password\n")
    db = f"sqlite:///{tmp_path / 'u.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["users", "add", "zoe", "--db", db, "--password-file", str(password)]).exit_code == 0
    again = runner.invoke(cli, ["users", "add", "zoe", "--db", db, "--password-file", str(password)])
    assert again.exit_code == 1 and "exists" in again.output
    assert runner.invoke(cli, ["users", "list", "--db", db]).output.split() == ["zoe"]
