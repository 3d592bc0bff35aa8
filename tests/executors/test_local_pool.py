"""The local pool's workers: one BLAS thread each unless the user chose otherwise."""

import gc
import os
from pathlib import Path

import pytest

from trajsift.config import load_recipe
from trajsift.executors.base import ExecutorSettings, RunPlan
from trajsift.executors.local import BLAS_THREAD_VARIABLES, LocalExecutor
from trajsift.pipeline import build_pipeline


def _pool_env(tmp_path, monkeypatch, preset: dict[str, str]) -> dict[str, str | None]:
    for name in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in preset.items():
        monkeypatch.setenv(name, value)
    recipe = load_recipe(None)
    executor = LocalExecutor(ExecutorSettings(workers=2))
    executor.start(RunPlan(inputs=[], out_dir=tmp_path, recipe=recipe), build_pipeline(recipe))
    try:
        pool = executor._worker_pool()
        return {name: pool.submit(os.getenv, name).result(timeout=300) for name in BLAS_THREAD_VARIABLES}
    finally:
        executor.close()


def test_workers_use_one_blas_thread(tmp_path, monkeypatch):
    assert set(_pool_env(tmp_path, monkeypatch, {}).values()) == {"1"}


def test_user_setting_wins(tmp_path, monkeypatch):
    seen = _pool_env(tmp_path, monkeypatch, {"OPENBLAS_NUM_THREADS": "3"})
    assert seen["OPENBLAS_NUM_THREADS"] == "3" and seen["MKL_NUM_THREADS"] == "1"


def _touch(folder: str, item: int) -> None:
    (Path(folder) / f"{item}-{os.getpid()}").touch()


def _started(tmp_path) -> LocalExecutor:
    recipe = load_recipe(None)
    executor = LocalExecutor(ExecutorSettings(workers=2))
    executor.start(RunPlan(inputs=[], out_dir=tmp_path, recipe=recipe), build_pipeline(recipe))
    return executor


def test_first_map_runs_every_item_once_here_or_in_the_pool(tmp_path):
    """While the pool's workers start, this process takes items itself; each item still runs exactly once."""
    executor = _started(tmp_path)
    done = tmp_path / "done"
    done.mkdir()
    try:
        here = lambda item: _touch(str(done), item)  # noqa: E731
        yielded = list(executor._map(range(40), here, lambda pool, item: pool.submit(_touch, str(done), item)))
        assert sorted(yielded) == list(range(40))
        assert sorted(int(name.split("-")[0]) for name in os.listdir(done)) == list(range(40))
        again = list(executor._map(range(40, 50), here, lambda pool, item: pool.submit(_touch, str(done), item)))
        assert sorted(again) == list(range(40, 50))  # the pool started: the second map submits everything
    finally:
        executor.close()


def _fail(item: int) -> None:
    raise ValueError(f"bad item {item}")


def test_a_failure_while_the_pool_starts_is_raised(tmp_path):
    """Whether an item ran here or in the pool, its error reaches the caller."""
    executor = _started(tmp_path)
    try:
        with pytest.raises(ValueError, match="bad item"):
            list(executor._map(range(200), _fail, lambda pool, item: pool.submit(_fail, item)))
    finally:
        executor.close()


def test_workers_and_the_run_keep_long_lived_objects_out_of_full_collections(tmp_path):
    """Pool workers freeze what they inherit and build; this process freezes its objects for the run only."""
    assert gc.get_freeze_count() == 0
    executor = _started(tmp_path)
    try:
        assert gc.get_freeze_count() > 0
        assert executor._worker_pool().submit(gc.get_freeze_count).result(timeout=300) > 0
    finally:
        executor.close()
    assert gc.get_freeze_count() == 0  # handed back: nothing frozen outlives the run


def test_a_callers_own_freeze_is_left_alone(tmp_path):
    gc.freeze()
    try:
        executor = LocalExecutor(ExecutorSettings(workers=1))
        recipe = load_recipe(None)
        executor.start(RunPlan(inputs=[], out_dir=tmp_path, recipe=recipe), build_pipeline(recipe))
        executor.close()
        assert gc.get_freeze_count() > 0  # still frozen: not this run's to hand back
    finally:
        gc.unfreeze()
