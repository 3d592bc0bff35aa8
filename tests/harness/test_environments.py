"""Environment recipes, interpreter discovery, cached venv builds and the swebench spec adapter."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import msgspec
import pytest

from trajsift.harness import environments, swebench_specs
from trajsift.harness.environments import MARKER, EnvironmentUnavailable, EnvSpec, build_environment, find_python
from trajsift.harness.task_env import spec_for_task
from trajsift.tasks import Environment, Task

THIS_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


# --- specs ----------------------------------------------------------------------------------------------------
def test_fingerprint_is_stable_and_sensitive():
    spec = EnvSpec(python="3.11", packages=["pytest", "six==1.17.0"])
    assert spec.fingerprint() == EnvSpec(python="3.11", packages=["six==1.17.0", "pytest"]).fingerprint()
    assert spec.fingerprint() != EnvSpec(python="3.11", packages=["pytest", "six==1.16.0"]).fingerprint()
    assert spec.fingerprint() != EnvSpec(python="3.10", packages=["pytest", "six==1.17.0"]).fingerprint()


def test_spec_for_trajsift_task():
    task = Task(
        task_id="t", repo="repos/calc", environment=Environment(python="3.11", packages=["pytest"], env={"A": "1"})
    )
    assert spec_for_task(task) == EnvSpec(python="3.11", packages=["pytest"], env={"A": "1"})
    unversioned = Task(task_id="t", repo="repos/calc", environment=Environment(packages=["pytest"]))
    assert spec_for_task(unversioned).python == THIS_PYTHON


def test_spec_for_task_without_recipe_is_none():
    assert spec_for_task(Task(task_id="t", repo="repos/calc")) is None
    assert spec_for_task(Task(task_id="t", repo="/abs/path", version="1.0")) is None


def test_swebench_task_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "swebench", None)
    monkeypatch.setitem(sys.modules, "swebench.harness", None)
    task = Task(task_id="sympy__sympy-1", repo="sympy/sympy", version="1.1")
    assert spec_for_task(task).python == "3.9"  # trajsift's own table: no swebench needed
    other = Task(task_id="o__p-1", repo="other/project", version="1.0")
    with pytest.raises(EnvironmentUnavailable, match=r"no environment for other/project 1.0 \(swebench package"):
        spec_for_task(other)


SYMPY_LIKE = {
    "python": "3.9",
    "packages": "mpmath flake8",
    "pip_packages": ["mpmath==1.3.0", "flake8-comprehensions"],
    "install": "python -m pip install -e .",
    "test_cmd": "PYTHONWARNINGS='ignore::UserWarning' bin/test -C --verbose",
}
DJANGO_LIKE = {
    "python": "3.6",
    "packages": "requirements.txt",
    "pre_install": [
        "apt-get update && apt-get install -y locales",
        "echo 'en_US UTF-8' > /etc/locale.gen",
        "locale-gen en_US.UTF-8",
        "sed -i 's/Jinja2>=2.3/Jinja2<3.0/' setup.py",
    ],
    "install": "python -m pip install -e .",
    "eval_commands": ["sed -i '/en_US.UTF-8/s/^# //g' /etc/locale.gen && locale-gen", "export LANG=en_US.UTF-8"],
    "test_cmd": "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1",
}


def test_swebench_spec_mapping():
    sympy = swebench_specs.env_spec(Task(task_id="s", repo="sympy/sympy", version="1.1"), SYMPY_LIKE)
    assert sympy == EnvSpec(
        python="3.9",
        packages=["flake8", "mpmath==1.3.0", "flake8-comprehensions"],
        install="python -m pip install -e .",
    )
    django = swebench_specs.env_spec(Task(task_id="d", repo="django/django", version="3.0"), DJANGO_LIKE)
    assert django.python == "3.6" and django.packages == []
    assert django.env == {"LANG": "en_US.UTF-8"}
    assert "tests/requirements/py3.txt" in django.pre_install[0]
    assert django.pre_install[1:] == ["sed -i 's/Jinja2>=2.3/Jinja2<3.0/' setup.py"]
    assert django.skipped == DJANGO_LIKE["pre_install"][:3]  # host set-up steps: kept to be said, never run
    assert django.fingerprint() == msgspec.structs.replace(django, skipped=[]).fingerprint()
    with pytest.raises(EnvironmentUnavailable, match="environment.yml"):
        swebench_specs.env_spec(
            Task(task_id="x", repo="pydata/xarray", version="0.12"), {"packages": "environment.yml"}
        )


TEST_PATCH = """\
diff --git a/tests/queries/test_qs.py b/tests/queries/test_qs.py
--- a/tests/queries/test_qs.py
+++ b/tests/queries/test_qs.py
@@ -1 +1 @@
-a
+b
diff --git a/tests/queries/fixtures/data.json b/tests/queries/fixtures/data.json
--- a/tests/queries/fixtures/data.json
+++ b/tests/queries/fixtures/data.json
@@ -1 +1 @@
-{}
+[]
diff --git a/sympy/core/tests/test_basic.py b/sympy/core/tests/test_basic.py
--- a/sympy/core/tests/test_basic.py
+++ b/sympy/core/tests/test_basic.py
@@ -1 +1 @@
-a
+b
"""


def test_test_directives_as_swebench_computes_them():
    django = Task(task_id="d", repo="django/django", version="3.0", test_patch=TEST_PATCH)
    sympy = Task(task_id="s", repo="sympy/sympy", version="1.1", test_patch=TEST_PATCH)
    assert swebench_specs.directives_for(django) == ["queries.test_qs", "sympy.core.tests.test_basic"]
    assert swebench_specs.directives_for(sympy) == ["tests/queries/test_qs.py", "sympy/core/tests/test_basic.py"]
    assert swebench_specs.command_for(sympy, SYMPY_LIKE).endswith("bin/test -C --verbose {tests}")


def test_real_swebench_specs_when_installed():
    constants = pytest.importorskip("swebench.harness.constants")
    if not hasattr(constants, "MAP_REPO_VERSION_TO_SPECS"):
        task = Task(task_id="s", repo="sympy/sympy", version="1.1")
        with pytest.raises(EnvironmentUnavailable, match="MAP_REPO_VERSION_TO_SPECS"):
            spec_for_task(task)
        return
    spec = spec_for_task(Task(task_id="s", repo="sympy/sympy", version="1.1"))
    assert spec.python == "3.9" and any(p.startswith("mpmath") for p in spec.packages)
    pytest_spec = spec_for_task(Task(task_id="p", repo="pytest-dev/pytest", version="5.4"))
    assert pytest_spec.python == "3.9" and "python -m pip install -e ." == pytest_spec.install
    with pytest.raises(EnvironmentUnavailable, match="no spec"):
        spec_for_task(Task(task_id="x", repo="sympy/sympy", version="0.0.1"))


# --- interpreters ------------------------------------------------------------------------------------------------
def test_find_python_exact_version():
    found = find_python(THIS_PYTHON)
    assert found is not None
    version = subprocess.run(
        [str(found), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
    )
    assert version.stdout.strip() == str(tuple(sys.version_info[:2]))
    assert find_python("2.99") is None
    assert find_python("latest") is None


# --- building ------------------------------------------------------------------------------------------------------
SMALL = EnvSpec(python=THIS_PYTHON, packages=["six==1.17.0"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The one real build (venv + one pure-Python wheel from PyPI; CI has registry access)."""
    cache = tmp_path_factory.mktemp("cache")
    return cache, build_environment(SMALL, cache, timeout_s=300)


def test_build_creates_a_working_venv_with_the_packages(built):
    cache, environment = built
    assert environment.path == cache / "envs" / SMALL.fingerprint()
    assert (environment.path / MARKER).is_file()
    probe = "import sys, six; print(sys.prefix); print(six.__version__)"
    done = subprocess.run([str(environment.python), "-c", probe], capture_output=True, text=True)
    prefix, version = done.stdout.split()
    assert Path(prefix) == environment.path and version == "1.17.0"
    assert environment.path in environment.ro_paths and len(environment.ro_paths) == 2


def test_build_reuses_a_complete_env(built, monkeypatch):
    cache, environment = built
    monkeypatch.setattr(environments, "_run", _refuse)
    assert build_environment(SMALL, cache) == environment


def _refuse(*args, **kwargs):
    raise AssertionError("must not rebuild")


def _fake_venv(calls, real_pip=False):
    """Replaces the slow venv step (ensurepip) by a pip-less venv that sees the host's pip."""
    real_run = environments._run

    def run(command, timeout_s, what, env=None):
        calls.append(what)
        if what == "venv creation":
            real_run([*command[:-1], "--without-pip", "--system-site-packages", command[-1]], timeout_s, what)
            time.sleep(0.3)
        elif real_pip:
            real_run(command, timeout_s, what, env)

    return run


def test_half_built_env_is_never_reused(tmp_path, monkeypatch):
    spec = EnvSpec(python=THIS_PYTHON, env={"HALF": "1"})
    half = tmp_path / "envs" / spec.fingerprint()
    (half / "bin").mkdir(parents=True)
    (half / "bin" / "python").write_text("")
    (half / "leftover").write_text("from a crashed build")
    calls: list[str] = []
    monkeypatch.setattr(environments, "_run", _fake_venv(calls))
    build_environment(spec, tmp_path)
    assert calls == ["venv creation"] and not (half / "leftover").exists() and (half / MARKER).is_file()


def test_concurrent_builds_build_once(tmp_path, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(environments, "_run", _fake_venv(calls))
    spec = EnvSpec(python=THIS_PYTHON, packages=["anything"], env={"CONCURRENT": "1"})
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(build_environment(spec, tmp_path))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["venv creation", "pip install"]
    assert len(results) == 3 and len({r.path for r in results}) == 1


def test_missing_python_is_unavailable(tmp_path):
    with pytest.raises(EnvironmentUnavailable, match="python 2.99 not found"):
        build_environment(EnvSpec(python="2.99"), tmp_path)


def test_pip_failure_is_unavailable_with_the_log_tail(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "_run", _fake_venv([], real_pip=True))
    spec = EnvSpec(python=THIS_PYTHON, packages=[str(tmp_path / "no-such-package-1.0-py3-none-any.whl")])
    with pytest.raises(EnvironmentUnavailable, match="pip install failed") as caught:
        build_environment(spec, tmp_path, timeout_s=300)
    assert "no-such-package" in caught.value.reason
    assert not (tmp_path / "envs" / spec.fingerprint() / MARKER).exists()


def test_build_timeout_kills_the_step_and_is_unavailable(tmp_path, monkeypatch):
    monkeypatch.setattr(environments, "_run", _fake_venv([], real_pip=True))
    sleeper = [
        sys.executable,
        "-c",
        "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; time.sleep(60)'])",
    ]
    monkeypatch.setattr(
        environments, "_pip_install", lambda python, packages, timeout_s: environments._run(sleeper, 1, "pip install")
    )
    started = time.monotonic()
    with pytest.raises(EnvironmentUnavailable, match="timed out"):
        build_environment(EnvSpec(python=THIS_PYTHON, packages=["x"], env={"SLOW": "1"}), tmp_path, timeout_s=300)
    assert time.monotonic() - started < 20


# --- trajsift's own table -----------------------------------------------------------------------------------------
LITE_REPOS = {
    "astropy/astropy": "5.1",
    "django/django": "3.0",
    "matplotlib/matplotlib": "3.5",
    "mwaskom/seaborn": "0.12",
    "pallets/flask": "2.3",
    "psf/requests": "2.3",
    "pydata/xarray": "0.12",
    "pylint-dev/pylint": "2.15",
    "pytest-dev/pytest": "5.4",
    "scikit-learn/scikit-learn": "0.22",
    "sphinx-doc/sphinx": "3.5",
    "sympy/sympy": "1.1",
}


@pytest.mark.parametrize(("repo", "version"), sorted(LITE_REPOS.items()))
def test_every_lite_repository_has_an_environment_without_swebench(monkeypatch, repo, version):
    monkeypatch.setitem(sys.modules, "swebench", None)
    task = Task(task_id="t", repo=repo, version=version)
    spec = spec_for_task(task)
    assert spec.python.startswith("3.") and spec.install
    command = swebench_specs.command_for(task)
    assert command.endswith("{tests}") and "tox" not in command  # tox is only a wrapper: pytest runs directly


def test_table_translates_conda_and_special_runners():
    xarray = spec_for_task(Task(task_id="x", repo="pydata/xarray", version="0.12"))
    assert {"netcdf4", "dask", "h5netcdf"} <= {swebench_specs.project_name(p) for p in xarray.packages}
    django = Task(task_id="d", repo="django/django", version="4.0")
    assert swebench_specs.command_for(django).startswith("./tests/runtests.py")
    assert swebench_specs.command_for(Task(task_id="s", repo="sympy/sympy", version="1.12")).count("bin/test") == 1


def test_table_details_that_real_repositories_need():
    from trajsift.harness.grading.pytest_command import split_pytest

    pytest_task = Task(task_id="p", repo="pytest-dev/pytest", version="5.4")
    spec = spec_for_task(pytest_task)
    assert spec.env["SETUPTOOLS_SCM_PRETEND_VERSION"] == "5.4.0"  # work trees have no tags
    assert any("pip install" in step and "-e ." in step for step in spec.pre_install)  # the commit's own deps
    assert split_pytest(swebench_specs.command_for(pytest_task)) is None  # pytest under test runs itself
    pins = {swebench_specs.project_name(p): p for p in spec.packages}
    assert "python_version >= '3.7'" in pins["setuptools"]  # PEP 621 metadata needs a modern setuptools
    flask = spec_for_task(Task(task_id="f", repo="pallets/flask", version="2.3"))
    assert [p for p in flask.packages if swebench_specs.project_name(p) == "setuptools"] == ["setuptools==70.0.0"]


def test_a_missing_python_resolves_to_a_neighbouring_minor_and_says_so():
    from trajsift.harness.environments import resolve_python

    missing = next((f"3.{m}" for m in range(4, 14) if find_python(f"3.{m}") is None), None)
    if missing is None or all(find_python(f"3.{m}") is None for m in range(int(missing[2:]) - 1, int(missing[2:]) + 3)):
        pytest.skip("every Python 3.4-3.13 is here, or none near a missing one")
    path, note = resolve_python(missing)
    assert note.startswith(f"asked {missing}, using 3.") and path.exists()
    assert resolve_python(THIS_PYTHON)[1] == ""
    with pytest.raises(EnvironmentUnavailable, match="2.5"):
        resolve_python("2.5")


@pytest.mark.parametrize(
    ("version", "python", "wanted", "absent"),
    [
        ("3.0", "3.6", {"asgiref", "python-memcached", "pytz"}, {"redis", "black"}),
        ("3.2", "3.6", {"pymemcache", "tzdata", "backports.zoneinfo"}, {"redis"}),
        ("4.0", "3.8", {"redis", "python-memcached"}, {"black"}),
        ("4.1", "3.9", {"aiosmtpd", "black", "redis"}, {"python-memcached"}),
        ("4.2", "3.9", {"aiosmtpd", "black", "pytz"}, {"python-memcached"}),
        ("5.0", "3.11", {"aiosmtpd", "selenium"}, {"pytz", "backports.zoneinfo"}),
    ],
)
def test_django_versions_get_the_harness_python_and_their_test_requirements(version, python, wanted, absent):
    task = Task(task_id="d", repo="django/django", version=version)
    spec = spec_for_task(task)
    names = {swebench_specs.project_name(p) for p in spec.packages}
    assert spec.python == python
    assert wanted <= names and not absent & names
    assert not {"pylibmc", "pywatchman", "mysqlclient", "psycopg2"} & names  # need C client libraries
    assert spec.pre_install == []  # the requirements live in the shared env, not in each work tree's overlay
    assert spec.env["LANG"] == "C.UTF-8" and spec.env["PYTHONIOENCODING"] == "utf8"
    command = swebench_specs.command_for(task)
    assert command == "./tests/runtests.py --verbosity 2 --settings=test_sqlite --parallel 1 {tests}"
