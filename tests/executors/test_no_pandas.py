"""A run never imports pandas (pyarrow would, ~0.4 cpu-s per process, on its first array of Python objects), and
pandas still works for the caller once the run is over."""

import subprocess
import sys

import pyarrow as pa
import pytest

from trajsift.config import load_recipe
from trajsift.executors.base import ExecutorSettings, RunPlan
from trajsift.executors.local import LocalExecutor
from trajsift.pipeline import build_pipeline

CHILD = """
import sys
from trajsift.config import load_recipe
from trajsift.run import run_pipeline
if __name__ == "__main__":
    recipe, out, workers, data = sys.argv[1:]
    result = run_pipeline([data], out, load_recipe(recipe), workers=int(workers))
    print(result.stats["total"], "pandas" in sys.modules)
    import pyarrow as pa
    import pandas as pd
    print(pa.table({"x": [1.0, None]}).to_pandas()["x"].isna().tolist(), pa.array(pd.Series([1.0, None])).null_count)
"""


@pytest.mark.parametrize("workers", [1, 2])
def test_run_leaves_pandas_unimported(dataset, recipe_file, tmp_path, workers):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    cmd = [sys.executable, str(script), str(recipe_file), str(tmp_path / "out"), str(workers), str(dataset)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run_line, pandas_line = done.stdout.splitlines()[-2:]
    assert run_line == "60 False"
    assert pandas_line == "[False, True] 1", "pandas converts as usual after the run"


def pandas_after_arrow_work() -> bool:
    """In a pool worker: build Arrow data from Python objects, then tell whether pandas got imported."""
    pa.table({"id": ["a", None], "score": [0.5, None], "row": [{"k": 1}, None]})
    pa.scalar("keep")
    return "pandas" in sys.modules


def test_pool_workers_leave_pandas_unimported(tmp_path):
    recipe = load_recipe(None)
    executor = LocalExecutor(ExecutorSettings(workers=2))
    executor.start(RunPlan(inputs=[], out_dir=tmp_path, recipe=recipe), build_pipeline(recipe))
    try:
        pool = executor._worker_pool()
        assert [pool.submit(pandas_after_arrow_work).result(timeout=300) for _ in range(4)] == [False] * 4
    finally:
        executor.close()
