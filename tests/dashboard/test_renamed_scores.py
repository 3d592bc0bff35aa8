"""A run written before `diversity.near` / `diversity.novelty` named their columns `<id>.<metric>` still shows its
featured scores: the stored bare names are read under their current names."""

from __future__ import annotations

from pathlib import Path

from trajsift.dashboard.model import RunView
from trajsift.dashboard.render import scores_fragment


def summary(mean: float) -> dict[str, float]:
    return {"count": 10, "mean": mean, "p50": mean}


def test_bare_score_names_of_an_older_run_are_featured_under_their_new_names():
    stats = {"scores": {"quality_score": summary(0.5), "action_novelty": summary(0.25), "zz.other": summary(0.1)}}
    html = scores_fragment(RunView(key="old", path=Path("old"), status="done", version="0", stats=stats))
    assert "diversity.near.action_novelty" in html and "quality_score" in html
    assert "zz.other" not in html  # featured scores present: the rest is not listed
