"""Table rows found wrong by running SWE-bench Lite gold patches per repository and version (bench/verify_swebench.py
with `--versions`): each test pins the detail a real gold run needed."""

from __future__ import annotations

import configparser
import subprocess

import pytest

from trajsift.harness import swebench_specs
from trajsift.harness.grading.testrun import install_steps
from trajsift.harness.task_env import spec_for_task
from trajsift.tasks import Task


def _names(repo: str, version: str) -> set[str]:
    spec = spec_for_task(Task(task_id="t", repo=repo, version=version))
    return {swebench_specs.project_name(p) for p in spec.packages}


@pytest.mark.parametrize("version", ["6.2", "7.1", "7.2"])
def test_sphinx_from_6_has_its_flit_build_backend(version):
    # sphinx 6+ declares flit_core in pyproject.toml; the installs run without build isolation (offline), so the
    # backend must be in the shared env, or `pip install -e .` stops with "No module named 'flit_core'"
    assert "flit-core" in _names("sphinx-doc/sphinx", version)


@pytest.mark.parametrize("version", ["3.5", "4.0", "5.1"])
def test_sphinx_setup_py_versions_do_not_take_flit(version):
    assert "flit-core" not in _names("sphinx-doc/sphinx", version)


def test_scikit_learn_1_3_builds_in_place_as_the_harness():
    # PEP 660 editable builds compile into a temporary dir: the build cache's in-tree extensions were never found
    # up to date and every verification recompiled them all; the harness's `--no-use-pep517` is a legacy develop
    spec = spec_for_task(Task(task_id="t", repo="scikit-learn/scikit-learn", version="1.3"))
    assert spec.env.get("SETUPTOOLS_ENABLE_FEATURES") == "legacy-editable"


@pytest.mark.parametrize("version", ["3.3", "3.4"])
def test_old_matplotlib_build_reads_the_written_config(version, tmp_path):
    # 3.3/3.4-era setupext reads `os.environ.get('MPLSETUPCFG') or 'setup.cfg'`: without the variable it missed
    # mplsetup.cfg, tried to download FreeType 2.6.1 (no network) and the install failed
    spec = spec_for_task(Task(task_id="t", repo="matplotlib/matplotlib", version=version))
    subprocess.run(["/bin/sh", "-c", install_steps(spec)[0][0]], cwd=tmp_path, check=True)
    config = configparser.ConfigParser()
    config.read(tmp_path / (spec.env.get("MPLSETUPCFG") or "setup.cfg"))
    assert config.getboolean("libs", "system_freetype") and config.getboolean("libs", "system_qhull")
    assert spec.env["SETUPTOOLS_ENABLE_FEATURES"] == "legacy-editable"
