"""Does trajsift's judgment transfer to agents it was not fitted on? Leave-one-source-out on real runs.

Usage: python bench/transfer.py [DATA_DIR] [--write-model] [--strength C] [--rows-cache FILE] [--without-alone-models]

The five labelled sources (`bench/sources.py`) are written, labels stripped, into one mixed input and run
through the default recipe twice, with no test execution (correctness stage disabled): once with a tasks file
holding the reference patches and once without. From the output columns, for each source: the calibrated
model is fitted on the other four sources (`trajsift.calibration.fit_model`) and measured on the one left out:
AUC, AUC over runs with a non-empty patch, AUC with the task's difficulty label unknown (`AUC-d`), kept-set
share of resolved (quality stage's rule applied with the held-out scores) vs the base rate, resolved runs
dropped per stage, expected calibration error (10 bins), and the AUC of the same model on the source run alone
(`alone`: its runs as their own input, no other agent on their tasks, as a user scoring one agent has).
Pairwise: for two sources sharing instances, the model is fitted without either, and the share of
(instance, one resolved, one not) pairs ranked right is printed. Worst source first.
`--write-model` fits on all sources and writes the shipped model (`src/trajsift/checks/quality_model.json`).

Signal history (no tasks file, held-out AUC / AUC-d; worst source first). Before: coder 0.697, mini-swe-agent
0.733/0.683, OpenHands 0.759/0.735, AutoCodeRover 0.780, SWE-agent 0.824; pairs mini/OpenHands 0.954, swe/ACR 0.783,
coder/ACR 0.631. Kept (weight of the same sign in every fold): `quality.evidence.statement_error_gone` and
`fix_aimed_at_error`, a null counted as no evidence (coder 0.701, mini 0.736/0.685, OpenHands 0.759/0.737, ACR
0.780, SWE-agent 0.824; swe/ACR pairs 0.779, coder/ACR 0.625; with a tasks file worst 0.791). With a learned weight
for null instead: coder 0.707, but swe/ACR pairs 0.724. Tried, not kept (each added alone to the inputs; coder,
mini): statement "expected"/"should" strings seen after the last edit (0.696, 0.731; weight sign flips), the
statement's error still shown after the fix (0.697, 0.733), the last run after the fix naming the touched module
(0.699, 0.719) or being a test run (0.699, 0.702), share of passing runs after the fix (0.697, 0.730), edits after
the first green run (0.690, 0.737; sign flips), patch leftovers: scratch files (0.697, 0.732), debug prints (0.698,
0.726), test files only (0.695, 0.730), files neither looked at nor named (0.695, 0.733), the touched file named in
a traceback seen before editing (0.680, 0.733), agreement variants (file / removed / added / identifier Jaccard,
mean, max, other agents only: 0.693-0.704, 0.729-0.740), cohort percentiles of the first edit's step, steps after
the first / last edit, edits, executions, failed executions, files read before editing, thought length (0.694-0.705,
0.728-0.737), tentative and confident wording rates (0.697-0.699, 0.736-0.739). On top of the two kept inputs (then
with a learned null weight: coder 0.707, mini 0.733): the statement's quoted actual output (doctest / "output:"
blocks) reproduced then gone (with the retry percentile below also in: coder 0.714 -> 0.713, mini 0.742 -> 0.740); a
cohort percentile of "changing course" words in the reasoning ("another approach", "a workaround", "instead": 0.709,
0.737; with words picked by scanning all five sources, "alternative", "attempt", "manually", 0.714, 0.742, but that
list saw the held-out source, and it drops the swe/ACR pairs to 0.700); final-message verification / hedging words:
a fixed list (0.712-0.720, 0.740-0.747), a list picked on the four training sources only (nested: 0.714-0.717,
0.730-0.738; the same words picked on all five sources gave coder 0.740, a selection leak, not a signal).
Kept next: `quality.wording.claim_backed`, the final message's "tests pass / verified / confirms the fix" claim
(a fixed list, written before looking at the data) against the last execution after the last edit, +1 / -1 / 0,
null without executions (positive in every fold; coder 0.721, mini 0.746/0.697, OpenHands 0.757/0.732, ACR 0.782,
SWE-agent 0.830; pairs swe/ACR 0.751, swe/coder 0.855, coder/ACR 0.625, mini/OpenHands 0.954; with a tasks file
worst OpenHands 0.807, coder 0.808). Its variants: the claim words alone (0.712, 0.740/0.691; swe/ACR 0.742),
claim and the last run passed as 0/1 (0.720, 0.746/0.697; swe/ACR 0.737), unsupported claim only (0.702-0.707,
SWE-agent 0.808), the confident-ending words and the last run passed (0.704-0.706), cohort-relative versions (same
AUC, the relative weight flips sign). Tried then, not kept (alone on the inputs before it; coder, mini/mini-d):
regressions (the same test command or test ids before the first edit, or any time before the last, and after the
last edit: comparable in 3 SWE-agent, 1 CodeR, 0 ACR, 52 mini, 27 OpenHands runs, a regression in 1 of 2,555:
nothing to fit); the repository's own existing tests run after the last edit (not a created script): ran (0.702,
0.705/0.651, sign flips), passed (0.707, 0.740/0.693, weight negative in every fold against `last_check_passed`),
only scratch scripts after the edit (0.702, 0.706/0.652, flips); patch against exploration: share of edited
functions never shown before the edit (0.701, 0.733/0.682, flips), hunks within 30 lines of a project frame of a
failing traceback seen before editing (0.679-0.690, flips); patch size against the task's other runs (log ratio to
their median, its absolute value, percentile, other agents only: 0.701-0.702, 0.732-0.736, flips or swe/coder
pairs 0.759); interactions: agreement x log(k) (0.699, 0.717), `last_check_passed` x (k <= 2) (0.704, 0.738: +0.003).
Model form, same inputs and folds: HistGradientBoosting depth 1 or 2, monotone (signs from the training folds'
logistic weights) or not, nulls native or mean-imputed: worst 0.675-0.696 (mini), swe/ACR pairs 0.43-0.59,
mini/OpenHands 0.60-0.73 (trees learn which source a row is from); a spline-additive logistic (hinges at quartiles,
C 0.1-0.3): worst 0.700-0.704, SWE-agent 0.804-0.811, swe/ACR pairs 0.59-0.68. The logistic model stays.
On top of `claim_backed` (coder, mini/mini-d; not kept): the repository's tests of the changed module (command names
its file stem or folder) after the last edit, passed or ran (0.721, 0.728-0.731; flips); the last run after the last
edit being the repository's tests (0.721-0.722, 0.733-0.740; flips); repository tests passed after the last edit
with a null as the mean (0.727, 0.750/0.705, negative in every fold, but the gain comes from the mean-imputed null:
as +1/-1/0 or 1/0 it is 0.721-0.723, 0.729-0.744 with a flipping sign); the same script's output changed between
before the first edit and after the last (0.720, 0.742/0.695; flips); the reasoning's reaction to the last run
("works", "passes" vs "still", "fails"; 0.710, 0.725/0.673; flips); task statement length, quoted error, code block,
code names (0.718-0.728, 0.728-0.746; the code-block flag lifts coder to 0.728 but drops mini to 0.728/0.676).
The final message naming a changed file or a code name of the change (0.720, 0.745/0.696; flips).
Kept next: the change measured on the patch's files the run wrote to (`trajsift.facts.changes.authored`): a
`git add -A` diff also carries the environment's own edits (27 of 33 mini-swe-agent sphinx patches hold the
harness's `tox.ini`, 22 its `setup.py`, 9 of 12 astropy ones `pyproject.toml`), which inflated the size and
diluted the agreement. A patch file named only in a read or search does not count as written (with reads
counted: coder 0.734, mini 0.744). Coder 0.721 -> 0.734, mini 0.746/0.697 -> 0.746/0.693, OpenHands 0.756, ACR
0.788, SWE-agent 0.841; pairs swe/ACR 0.751 -> 0.770, coder/ACR 0.619; with a tasks file worst OpenHands 0.808.
Kept next: "after the last edit" counted from the last edit of a file in the final patch (`source_edits`:
an `rm -rf build` or a reverted scratch change after the last test no longer hides it), and a command that
edits then runs (`cat <<EOF > repro.py ... EOF` then `python repro.py`) counted as a run after its own edit
(`runs_after_change`). The first alone: mini 0.746/0.693 -> 0.757/0.710, OpenHands 0.759, coder 0.728; both:
coder 0.732, OpenHands 0.756, mini 0.757/0.709, ACR 0.789, SWE-agent 0.841; pairs swe/ACR 0.783, swe/coder
0.904, coder/ACR 0.619, mini/OpenHands 0.954; with a tasks file worst OpenHands 0.808, mini 0.839.
Then an "unknown" value (a log that cannot tell, e.g. OpenHands' patch status) is missing, not unequal, and
the patch-status inputs count a missing value as no evidence (no learned weight: it would learn the scaffold).
Held-out OpenHands rows had a mean probability of 0.005 against a resolve rate of 0.377, from 0.0 for "patch
present" in every row. Now coder 0.731, OpenHands 0.756 (ECE 0.371 -> 0.343), mini 0.756; pairs mini/OpenHands
0.944 (part of the 0.954 came from every OpenHands run ranking low, and mini-swe-agent resolves more). Not kept:
standardised inputs clipped to +-1.5 / 2 / 3 / 5 SDs (OpenHands 0.718 / 0.738 / 0.750 / 0.758, coder 0.723-0.730:
the clip also blunts OpenHands' real `submitted` / `limit_hit` signal); source-balanced sample weights (coder
0.714, mini 0.737); inputs kept only when their sign agrees on every training source (worst 0.48-0.70); label-shift
adaptation of each cohort's prior by EM on its predictions (Saerens et al.; ECE worse on 4 of 5 sources: the
agents differ in their inputs, not only in their base rate).
Strength C 0.1 / 1.0 instead of 0.3: worst 0.721 / 0.719 (swe/coder pairs 0.916 / 0.771).
Model forms tried after that, same inputs (stop 24; not kept): a fixed intercept per training source (the
weights then fit only within-source ranking; held-out AUC the same within 0.005, but the pairs collapse: swe/coder
0.904 -> 0.494, mini/OpenHands 0.944 -> 0.620, as the pairs need what tells one agent's level from another's);
L1 instead of L2 (C 0.1 / 0.3 / 1.0: coder 0.723 / 0.729 / 0.729, mini/OpenHands pairs 0.676 / 0.759 / 0.870);
per-source copies of every input beside the shared ones (feature augmentation, copies scaled 0.2 / 0.5 / 1.0):
held-out AUC within 0.01 of the plain model and, fitted on all sources with 5 instance-grouped folds, lower on
every source (OpenHands 0.740 plain -> 0.727 / 0.716 / 0.712); `tests_after_edit` made null for a cohort in which
no run ever tests after its edit (AutoCodeRover cannot execute): coder/ACR pairs 0.613 -> 0.625, swe/coder 0.904 ->
0.687. For reference, the plain model fitted on all sources and scored on held-out instances (5 instance-grouped
folds) gives swe-agent 0.819, ACR 0.776, mini 0.762, OpenHands 0.740, coder 0.715 (`bench/transfer_instances.py`).
Kept next (stop 27): a second model, fitted without the token and cost percentiles, for rows that have none
(`calibration.without_usage`). Steps rank resolved runs low on every source (AUC 0.27-0.41 alone), but beside
the usage percentiles the fit gives steps a positive weight that offsets cost's negative one; on OpenHands (no
usage in its logs) that weight stood alone. OpenHands held out 0.756 -> 0.763 (AUC-d 0.730 -> 0.743), with a
tasks file 0.808 -> 0.810; the other sources unchanged; pairs mini/OpenHands 0.944 (0.926 -> 0.917 with a
tasks file); on held-out instances OpenHands 0.740 -> 0.748 (seed 1: 0.761 -> 0.767). Fitting the usage model
on the rows with usage only instead: mini-swe-agent 0.756 -> 0.689 (not kept).
Kept next (stop 29): the `alone` column, and models fitted without the task's other runs (agreement, task steps)
for rows that have none (`calibration.model_variants`). In the mixed run nearly every row has other agents' runs
on its task; run alone, a source with one run per task had them all null and leaned on "missing" terms learned from
the few training rows alone: alone, no tasks file, coder 0.662 -> 0.732, mini-swe-agent 0.742 -> 0.736, OpenHands
0.754 -> 0.756, ACR 0.769 -> 0.770, SWE-agent 0.771 -> 0.770; with a tasks file coder 0.799 -> 0.827; the
mixed-run rows within 0.002. Tried before it (scratch script, not kept): the mixed and alone rows both in the
training set: alone coder 0.680, SWE-agent 0.783, but mixed ACR 0.789 -> 0.771, mini-swe-agent 0.756 -> 0.745.
Kept next (stop 31): the run of code that writes a patch file as an edit (`facts.scripts`, `evidence.scripted_edits`):
Gemini in mini-swe-agent often writes `fix.py` (open the module, replace a block, write it back) and runs it, or
edits in `python - <<EOF`; 92 of its 284 runs do, and their fix's last edit was the script's creation or an earlier
`sed`. That run is now the last edit and not a check of it (also when the same command writes the script and
runs it), and its named patch files count for read-before-edit. Only mini-swe-agent's rows change. No tasks file:
mini-swe-agent 0.756 -> 0.758 (alone 0.736 -> 0.737), SWE-agent 0.840 -> 0.842, OpenHands and ACR within 0.001,
coder 0.730 -> 0.721 (its rows unchanged: the refit raises `last_check_passed` and `read_before_edit`, whose
coder AUCs are 0.58 and below 0.5; tasks file: coder 0.816 -> 0.809); pairs swe/coder 0.904 -> 0.880; held-out
instances (`transfer_instances.py`, seeds 0-2) mini-swe-agent 0.762 / 0.754 / 0.737 -> 0.766 / 0.756 / 0.743,
alone +0.002-0.004, coder -0.006. A patch a shell command applies from its own text (`apply_patch` bodies,
`git apply` / `patch` heredocs) is an edit of the files it names: one mini-swe-agent row changes. Kept for the
agents it reads right, with the worst source lower.
Without a recorded patch, the change (size, agreement) is read from the run's edits in any form `facts.edits`
reads (was: editor-call arguments only): held-out AUCs within 0.001; `format_invariance.py`'s `bare` form (chat
exports without the patch) AutoCodeRover 0.604 -> 0.838, SWE-agent 0.858 -> 0.882 (shipped model before the refit).
Tried then, not kept: bagged fits (20 task bootstraps, weights averaged): within 0.002.
Patch-text signals (alone on the inputs; coder, mini): comment share of the added lines (0.727, 0.755), the
statement's backticked names in the changed lines (0.729, 0.754), only lines added (0.732, 0.755); sample
weights 2 or 3 on the Verified sources for held-out instances (mini 0.751, OpenHands 0.756-0.758, coder
0.711-0.715); C 0.05-1.0 there (within 0.003); action-type n-gram models alone held out 0.40-0.73.
Without the cohort-relative `last_check_passed` and `read_before_edit`: coder 0.724, the rest within 0.002. The
statement's code-block flag again: coder 0.734, mini 0.747 (held-out instances mini 0.758 -> 0.748): flips.
"""

from __future__ import annotations

import argparse
import datetime
import os
import pickle
import subprocess
import sys
import tempfile
from collections import defaultdict
from itertools import combinations

import msgspec
import numpy as np
import orjson
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sources import DEFAULT_DATA_DIR, PROJECT_ROOT, SOURCES, load_all, load_tasks  # noqa: E402
from trajsift.calibration import (  # noqa: E402
    BASE_FEATURES,
    REFERENCE_AVAILABLE,
    REFERENCE_FEATURES,
    ModelSet,
    fit_model,
    model_variants,
)
from trajsift.config import load_recipe  # noqa: E402
from trajsift.run import run_pipeline  # noqa: E402

DIFFICULTY = ("quality.evidence.difficulty_rank", "quality.relative.difficulty_rank")
"""A human difficulty label comes with SWE-bench Verified's metadata, not with a user's runs: `AUC-d` scores the
held-out rows with it unknown."""
MODEL_PATH = os.path.join(PROJECT_ROOT, "src", "trajsift", "checks", "quality_model.json")
OVERRIDES = ["stages.correctness.enabled=false"]
KEEP_FRACTION = 0.8
ALONE_MODELS = True
"""Whether `fit_on` fits the models for rows alone on their task (`--without-alone-models`: the stop-28 set)."""


def write_inputs(data: dict, folder: str, data_dir: str) -> tuple[dict[str, tuple[str, bool]], str]:
    """One JSONL per source, outcome stripped, ids prefixed by source; a tasks file with reference patches."""
    truth = {}
    for name, trajs in data.items():
        with open(os.path.join(folder, name.replace("/", "_") + ".jsonl"), "wb") as handle:
            for traj in trajs:
                traj.id = f"{name}:{traj.id}"
                truth[traj.id] = (name, bool(traj.outcome.resolved))
                traj.outcome = type(traj.outcome)()
                handle.write(msgspec.json.encode(traj) + b"\n")
    tasks_path = os.path.join(folder, "tasks.jsonl")
    with open(tasks_path, "wb") as handle:
        for metadata in sorted({spec.metadata for spec in SOURCES}):
            for task in load_tasks(data_dir, metadata).values():
                record = {k: v for k, v in msgspec.to_builtins(task).items() if v is not None}
                handle.write(orjson.dumps(record) + b"\n")
    return truth, tasks_path


def run_rows(folder: str, tasks: str | None, out: str) -> list[dict]:
    overrides = [*OVERRIDES, f"tasks={tasks}"] if tasks else OVERRIDES
    recipe = load_recipe(None, overrides)
    inputs = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".jsonl") and f != "tasks.jsonl")
    run_pipeline(inputs, out, recipe)
    rows = []
    for name in ("kept", "rejected", "review"):
        path = os.path.join(out, f"{name}.parquet")
        columns = [c for c in pq.read_schema(path).names if c != "trajectory"]
        rows += pq.read_table(path, columns=columns).to_pylist()
    return rows


def auc(scores: list[float], labels: list[bool]) -> float | None:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if 0 < sum(labels) < len(labels) else None


def ece(probabilities: list[float], labels: list[bool], bins: int = 10) -> float:
    p, y = np.array(probabilities), np.array(labels, dtype=float)
    edges = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[edges == b].mean() - y[edges == b].mean()) * (edges == b).mean() for b in set(edges)))


def scored(rows: list[dict]) -> list[dict]:
    """Rows the quality stage scores: not dropped before it (rows sent to review go on)."""
    return [r for r in rows if r.get("quality.score.model_probability") is not None]


def fit_on(rows: list[dict], truth: dict, features, requires: str, strength: float) -> ModelSet:
    """The models over `features` with and without the token / cost figures and the task's other runs
    (`calibration.model_variants`), each fitted on every row (a model fitted on the rows with usage only
    generalises worse: mini-swe-agent 0.756 -> 0.689 held out)."""
    labels = [truth[r["trajectory_id"]][1] for r in rows]
    variants = model_variants(features, requires, alone=ALONE_MODELS)
    return ModelSet(tuple(fit_model(kept, rows, labels, strength, needs) for kept, needs in variants))


def kept_share(held: list[dict], scores: dict[str, float], truth: dict) -> tuple[float, int]:
    """Resolved share of the quality stage's keep (the default recipe's top 80 % by score)."""
    ranked = sorted(held, key=lambda r: -scores[r["trajectory_id"]])
    kept = ranked[: int(np.ceil(KEEP_FRACTION * len(ranked)))]
    return (float(np.mean([truth[r["trajectory_id"]][1] for r in kept])) if kept else 0.0), len(kept)


def source_report(name, rows, alone, truth, features, requires, strength) -> dict:
    train = [r for r in scored(rows) if truth[r["trajectory_id"]][0] != name]
    model = fit_on(train, truth, features, requires, strength)
    held_all = [r for r in rows if truth[r["trajectory_id"]][0] == name]
    held = scored(held_all)
    scores = {r["trajectory_id"]: model.probability(r) for r in held}
    y = [truth[r["trajectory_id"]][1] for r in held]
    held_alone = [r for r in scored(alone) if truth[r["trajectory_id"]][0] == name]
    alone_scores = [model.probability(r) for r in held_alone]
    patched = [r for r in held if r.get("basic.content.patch_status") == "present"]
    dropped = defaultdict(int)
    for r in held_all:
        if truth[r["trajectory_id"]][1] and r.get("decided_by") and r["decision"] == "drop":
            dropped[r["decided_by"]] += 1
            if r["decided_by"] == "basic_filter":
                dropped["basic_filter " + ",".join(r.get("reasons") or [])] += 1
    resolved = sum(truth[r["trajectory_id"]][1] for r in held_all)
    unlabelled = [model.probability({**r, **dict.fromkeys(DIFFICULTY)}) for r in held]
    share, kept = kept_share(held, scores, truth)
    return {
        "source": name,
        "auc": auc([scores[r["trajectory_id"]] for r in held], y),
        "auc_patch": auc(
            [scores[r["trajectory_id"]] for r in patched], [truth[r["trajectory_id"]][1] for r in patched]
        ),
        "auc_no_difficulty": auc(unlabelled, y),
        "auc_alone": auc(alone_scores, [truth[r["trajectory_id"]][1] for r in held_alone]),
        "base": resolved / len(held_all),
        "kept_share": share,
        "kept": kept,
        "n": len(held_all),
        "resolved": resolved,
        "dropped": {stage: f"{n}/{resolved}" for stage, n in dropped.items() if stage not in ("quality", "diversity")},
        "ece": ece([scores[r["trajectory_id"]] for r in held], y),
    }


def pairwise(rows, truth, features, requires, strength) -> list[tuple[str, str, float, int]]:
    by_source_task = defaultdict(list)
    for r in scored(rows):
        by_source_task[(truth[r["trajectory_id"]][0], r.get("task_id"))].append(r)
    results = []
    for a, b in combinations([spec.name for spec in SOURCES], 2):
        tasks = {t for s, t in by_source_task if s == a} & {t for s, t in by_source_task if s == b}
        if not tasks:
            continue
        train = [r for r in scored(rows) if truth[r["trajectory_id"]][0] not in (a, b)]
        model = fit_on(train, truth, features, requires, strength)
        right = total = 0
        for task in tasks:
            for ra in by_source_task[(a, task)]:
                for rb in by_source_task[(b, task)]:
                    ya, yb = truth[ra["trajectory_id"]][1], truth[rb["trajectory_id"]][1]
                    if ya == yb:
                        continue
                    pa_, pb_ = model.probability(ra), model.probability(rb)
                    right += (pa_ > pb_) == ya if pa_ != pb_ else 0.5
                    total += 1
        results.append((a, b, right / total if total else float("nan"), total))
    return results


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def print_mode(title, rows, alone, truth, features, requires, strength) -> None:
    print(f"\n## {title}: leave-one-source-out (fit on the other sources), worst AUC first")
    reports = [source_report(s.name, rows, alone, truth, features, requires, strength) for s in SOURCES]
    reports.sort(key=lambda r: r["auc"] if r["auc"] is not None else 1.0)
    print(
        f"{'held-out source':26s} {'n':>5s} {'AUC':>6s} {'AUCpat':>6s} {'AUC-d':>6s} {'alone':>6s} {'base':>6s} "
        f"{'kept%':>6s} "
        f"{'ECE':>6s}  resolved dropped before quality"
    )
    for r in reports:
        print(
            f"{r['source']:26s} {r['n']:5d} {_fmt(r['auc'])} {_fmt(r['auc_patch'])} {_fmt(r['auc_no_difficulty'])} "
            f"{_fmt(r['auc_alone'])} "
            f"{r['base']:.3f} "
            f"{r['kept_share']:.3f} {r['ece']:.3f}  {r['dropped'] or '0'}"
        )
    print(f"worst AUC: {reports[0]['source']} {_fmt(reports[0]['auc'])}")
    worst_alone = min(reports, key=lambda r: r["auc_alone"] if r["auc_alone"] is not None else 1.0)
    print(f"worst AUC run alone: {worst_alone['source']} {_fmt(worst_alone['auc_alone'])}")
    print("within-instance pairs (fit without both sources): share ranked right")
    for a, b, share, total in sorted(pairwise(rows, truth, features, requires, strength), key=lambda x: x[2]):
        print(f"  {a} vs {b}: {share:.3f} of {total} pairs")


def write_model(rows_ref, rows_base, truth, strength, counts) -> None:
    ref = fit_on(scored(rows_ref), truth, REFERENCE_FEATURES, REFERENCE_AVAILABLE, strength).models
    base = fit_on(scored(rows_base), truth, BASE_FEATURES, "", strength).models
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT).stdout
    provenance = {
        "procedure": "python bench/transfer.py ../shared/data --write-model",
        "fitted": datetime.date.today().isoformat(),
        "code_commit": commit.strip(),
        "strength_C": strength,
        "sources": counts,
        "labels": "official SWE-bench resolved labels of the dev sources (no test execution here)",
    }
    with open(MODEL_PATH, "w", encoding="utf-8") as handle:
        handle.write(ModelSet((*ref, *base), provenance).to_json())
    print(f"\nwrote {MODEL_PATH}")


def run_both(data_dir: str) -> tuple[list[dict], list[dict], dict, dict, dict[str, list[dict]]]:
    """Rows of the mixed run with and without the tasks file, then of each source run alone
    (one input of its runs only: no other agent on its tasks, as a user scoring one agent has)."""
    data = load_all(data_dir)
    counts = {name: {"runs": len(t), "resolved": sum(bool(x.outcome.resolved) for x in t)} for name, t in data.items()}
    with tempfile.TemporaryDirectory() as folder:
        inputs = os.path.join(folder, "in")
        os.makedirs(inputs)
        truth, tasks = write_inputs(data, inputs, data_dir)
        rows_ref = run_rows(inputs, tasks, os.path.join(folder, "with-ref"))
        rows_base = run_rows(inputs, None, os.path.join(folder, "no-ref"))
        alone: dict[str, list[dict]] = {"ref": [], "base": []}
        for name in data:
            file = name.replace("/", "_") + ".jsonl"
            one = os.path.join(folder, "alone", file)
            os.makedirs(one)
            os.link(os.path.join(inputs, file), os.path.join(one, file))
            alone["ref"] += run_rows(one, tasks, os.path.join(folder, "alone-ref", file))
            alone["base"] += run_rows(one, None, os.path.join(folder, "alone-no-ref", file))
    return rows_ref, rows_base, truth, counts, alone


def load_rows(data_dir: str, cache: str) -> tuple[list[dict], list[dict], dict, dict, dict[str, list[dict]]]:
    """`run_both`'s rows, from the pickle `cache` when it holds them (written there when it does not)."""
    if cache and os.path.exists(cache):
        with open(cache, "rb") as handle:
            result = pickle.load(handle)
        if len(result) == 5:
            return result
    result = run_both(data_dir)
    if cache:
        with open(cache, "wb") as handle:
            pickle.dump(result, handle)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--write-model", action="store_true")
    parser.add_argument("--strength", type=float, default=0.3)
    parser.add_argument("--rows-cache", default="", help="pickle of the runs' rows: reused if present")
    parser.add_argument("--without-alone-models", action="store_true", help="no models without the task's other runs")
    args = parser.parse_args()
    global ALONE_MODELS
    ALONE_MODELS = not args.without_alone_models
    rows_ref, rows_base, truth, counts, alone = load_rows(args.data_dir, args.rows_cache)
    print(f"machine load: {os.getloadavg()[0]:.1f}; rows {len(rows_ref)} / {len(rows_base)}")
    print_mode(
        "with reference patches (--tasks)",
        rows_ref,
        alone["ref"],
        truth,
        REFERENCE_FEATURES,
        REFERENCE_AVAILABLE,
        args.strength,
    )
    print_mode("no tasks file", rows_base, alone["base"], truth, BASE_FEATURES, "", args.strength)
    if args.write_model:
        write_model(rows_ref, rows_base, truth, args.strength, counts)


if __name__ == "__main__":
    main()
