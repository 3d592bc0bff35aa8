"""Does trajsift judge the same runs the same way when they come in a generic chat format? Format invariance.

Usage: python bench/format_invariance.py [DATA_DIR] [--forms native,openai,anthropic,sharegpt,bare] [--limit N]

A user's agent often arrives as chat records (an SFT export, a proxy's log), not as its scaffold's own log. Here
every labelled dev run (`bench/sources.py`) is read with its native reader, then written in each form, outcome
stripped, and read back through trajsift's generic readers:

- `native`: trajsift's own records (what `bench/transfer.py` feeds the pipeline);
- `openai`: `trajsift.export.openai.to_openai` (`messages` with `tool_calls`, `tool` results; id, task, model,
  patch beside them);
- `anthropic`: the same turns as Anthropic content blocks (`text`, `tool_use`, `tool_result`), `system` apart;
- `sharegpt`: `conversations` of `from` / `value` turns (`function_call` JSON, `observation`);
- `bare`: the OpenAI messages with only the id and the task id: no patch, no model, no exit status (what many
  public SFT sets hold).

Each form goes through the default recipe with no tasks file and no test execution. Printed: per source, the
shipped model's `quality_score` AUC against the official label in each form, and the resolved runs dropped
before the quality stage; then, per model input, the share of runs whose value differs from the native read
(which evidence a generic format loses).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
from collections import defaultdict

import orjson

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sources import DEFAULT_DATA_DIR, SOURCES, load_all  # noqa: E402
from trajsift.calibration import BASE_FEATURES  # noqa: E402
from trajsift.export.openai import to_openai  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402
from transfer import _fmt, auc, run_rows, write_inputs  # noqa: E402

FORMS = ("native", "openai", "anthropic", "sharegpt", "bare")


def openai_record(traj: Trajectory) -> dict:
    record = to_openai(traj)
    record.pop("resolved", None)
    return record


def anthropic_record(traj: Trajectory) -> dict:
    """The OpenAI turns as Anthropic messages: calls as `tool_use` blocks, results as `tool_result` blocks in
    a user message (consecutive results in one message, as the API requires)."""
    record = openai_record(traj)
    system, messages = "", []
    for message in record.pop("messages"):
        role, content = message["role"], message.get("content") or ""
        if role == "system":
            system = content
        elif role == "tool":
            block = {"type": "tool_result", "tool_use_id": message["tool_call_id"], "content": content}
            if messages and messages[-1]["role"] == "user" and _all_results(messages[-1]):
                messages[-1]["content"].append(block)
            else:
                messages.append({"role": "user", "content": [block]})
        elif role == "assistant":
            blocks = [{"type": "text", "text": content}] if content else []
            for call in message.get("tool_calls") or []:
                function = call["function"]
                blocks.append(
                    {"type": "tool_use", "id": call["id"], "name": function["name"], "input": _args(function)}
                )
            messages.append({"role": "assistant", "content": blocks})
        else:
            messages.append({"role": "user", "content": [{"type": "text", "text": content}]})
    record.pop("tools", None)
    return {**record, "system": system, "messages": messages}


def _all_results(message: dict) -> bool:
    return isinstance(message["content"], list) and all(b.get("type") == "tool_result" for b in message["content"])


def _args(function: dict) -> dict:
    arguments = function.get("arguments")
    return orjson.loads(arguments) if isinstance(arguments, str) and arguments else dict(arguments or {})


def sharegpt_record(traj: Trajectory) -> dict:
    record = openai_record(traj)
    names = {"system": "system", "user": "human", "assistant": "gpt", "tool": "observation"}
    turns = []
    for message in record.pop("messages"):
        content = message.get("content") or ""
        if message["role"] == "assistant" and message.get("tool_calls"):
            if content:
                turns.append({"from": "gpt", "value": content})
            for call in message["tool_calls"]:
                function = call["function"]
                value = orjson.dumps({"name": function["name"], "arguments": _args(function)}).decode()
                turns.append({"from": "function_call", "value": value})
        else:
            turns.append({"from": names[message["role"]], "value": content})
    record.pop("tools", None)
    return {**record, "conversations": turns}


def bare_record(traj: Trajectory) -> dict:
    record = openai_record(traj)
    return {"id": record["id"], "task_id": record.get("task_id", ""), "messages": record["messages"]}


WRITERS = {"openai": openai_record, "anthropic": anthropic_record, "sharegpt": sharegpt_record, "bare": bare_record}


def write_form(form: str, data: dict[str, list[Trajectory]], folder: str) -> None:
    os.makedirs(folder)
    for name, trajs in data.items():
        with open(os.path.join(folder, name.replace("/", "_") + ".jsonl"), "wb") as handle:
            handle.writelines(orjson.dumps(WRITERS[form](traj)) + b"\n" for traj in trajs)


def report(forms: list[str], rows: dict[str, dict[str, dict]], truth: dict) -> None:
    print("\n## quality_score AUC per source and form (shipped model, no tasks, no tests)")
    print(f"{'source':26s} " + " ".join(f"{form:>9s}" for form in forms) + "   resolved dropped before quality")
    for spec in SOURCES:
        ids = [i for i, (source, _) in truth.items() if source == spec.name]
        cells, drops = [], []
        for form in forms:
            scored = [i for i in ids if rows[form].get(i, {}).get("quality_score") is not None]
            cells.append(_fmt(auc([rows[form][i]["quality_score"] for i in scored], [truth[i][1] for i in scored])))
            lost = sum(1 for i in ids if truth[i][1] and _dropped_early(rows[form].get(i)))
            drops.append(f"{form} {lost}")
        print(f"{spec.name:26s} " + " ".join(f"{c:>9s}" for c in cells) + "   " + ", ".join(drops))
    print("\n## model inputs that differ from the native read (share of runs read in both)")
    for form in forms:
        if form == "native":
            continue
        both = [i for i in truth if i in rows[form] and i in rows["native"]]
        print(f"{form}: {len(both)} of {len(truth)} runs read back")
        diffs = defaultdict(int)
        for i in both:
            for feature in BASE_FEATURES:
                if _differs(rows[form][i].get(feature.column), rows["native"][i].get(feature.column)):
                    diffs[feature.column] += 1
        for column, count in sorted(diffs.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {column:45s} {count / max(len(both), 1):6.1%}")


def _differs(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) > 1e-6
    return a != b


def _dropped_early(row: dict | None) -> bool:
    if row is None:
        return True  # quarantined or lost: not a usable row
    return row.get("decision") == "drop" and row.get("decided_by") not in ("quality", "diversity")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", default=DEFAULT_DATA_DIR)
    parser.add_argument("--forms", default=",".join(FORMS))
    parser.add_argument("--limit", type=int, default=0, help="runs per source (0: all)")
    parser.add_argument("--rows-cache", default="", help="pickle of every form's rows: reused if present")
    args = parser.parse_args()
    forms = args.forms.split(",")
    if "native" not in forms:
        forms.insert(0, "native")
    if args.rows_cache and os.path.exists(args.rows_cache):
        with open(args.rows_cache, "rb") as handle:
            rows, truth = pickle.load(handle)
    else:
        rows, truth = run_forms(args.data_dir, forms, args.limit)
        if args.rows_cache:
            with open(args.rows_cache, "wb") as handle:
                pickle.dump((rows, truth), handle)
    report(forms, rows, truth)


def run_forms(data_dir: str, forms: list[str], limit: int) -> tuple[dict, dict]:
    """Each form's rows by trajectory id, and the truth: the native form is `transfer.py`'s input (outcomes
    stripped, ids prefixed by source); the others are written from those same records."""
    data = load_all(data_dir)
    if limit:
        data = {name: trajs[:limit] for name, trajs in data.items()}
    for traj in (traj for trajs in data.values() for traj in trajs):
        traj.task.difficulty = ""  # a label of the benchmark's, not of the run: no chat form carries it
    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        os.makedirs(os.path.join(folder, "native"))
        truth, _ = write_inputs(data, os.path.join(folder, "native"), data_dir)
        for form in forms:
            if form != "native":
                write_form(form, data, os.path.join(folder, form))
            found = run_rows(os.path.join(folder, form), None, os.path.join(folder, f"out-{form}"))
            rows[form] = {row["trajectory_id"]: row for row in found}
            print(f"{form}: {len(rows[form])} rows", flush=True)
    return rows, truth


if __name__ == "__main__":
    main()
