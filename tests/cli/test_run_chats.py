"""`trajsift run` on plain chat records whose agent edits through SEARCH/REPLACE blocks and runs `uv run pytest`."""

from __future__ import annotations

import orjson
import pyarrow.parquet as pq
from typer.testing import CliRunner

from trajsift.cli.main import app

runner = CliRunner()
FIX = "calc.py\n```python\n<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n```"
PATCH = (
    "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n"
    "@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return a + b\n"
)


def chat(run_id: str, tested_after_fix: bool) -> dict:
    test = [{"role": "assistant", "content": "```bash\nuv run pytest -q\n```"}, {"role": "user", "content": "3 passed"}]
    messages = [
        {"role": "system", "content": "Edit with SEARCH/REPLACE blocks; run commands in ```bash blocks."},
        {"role": "user", "content": "add() in calc.py subtracts; make it add."},
        {"role": "assistant", "content": "```bash\ncat calc.py\n```"},
        {"role": "user", "content": "def add(a, b):\n    return a - b"},
        *([] if tested_after_fix else test),
        {"role": "assistant", "content": FIX},
        {"role": "user", "content": "Applied the edit to calc.py"},
        *(test if tested_after_fix else []),
        {"role": "assistant", "content": "Fixed: add() now adds, and the tests pass."},
    ]
    return {"id": run_id, "task_id": "calc-1", "model": "m", "patch": PATCH, "messages": messages}


def test_a_search_replace_chat_is_judged_from_its_edits_and_tests(tmp_path):
    data = tmp_path / "chats.jsonl"
    data.write_bytes(b"\n".join(orjson.dumps(chat(name, name == "after")) for name in ("after", "before")) + b"\n")
    result = runner.invoke(app, ["run", str(data), "--out", str(tmp_path / "out"), "stages.correctness.enabled=false"])
    assert result.exit_code == 0, result.output
    columns = ["trajectory_id", "quality.evidence.tests_after_edit", "quality.wording.claim_backed"]
    rows = {}
    for name in ("kept", "rejected", "review"):
        table = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        rows.update({r["trajectory_id"]: r for r in table.select(columns).to_pylist()})
    assert rows["after"]["quality.evidence.tests_after_edit"] is True
    assert rows["after"]["quality.wording.claim_backed"] == 1.0
    assert rows["before"]["quality.evidence.tests_after_edit"] is False  # its tests ran before the edit
    assert rows["before"]["quality.wording.claim_backed"] == -1.0  # so its "tests pass" is not backed
