"""The local pool's workers: one BLAS thread each unless the user chose otherwise."""

import os

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
