"""integrity.history: git reaching past the base commit, registry installs of the project, upstream URLs."""

from __future__ import annotations

import pytest

from trajsift.actions.classify import classify_command, classify_tool_call
from trajsift.checks.base import CheckContext
from trajsift.checks.integrity_history import HistoryCheck
from trajsift.schema import Step, TaskRef, Trajectory
from trajsift.tasks import Task

BASE = "3a668ea6ff24b0c8f00498c3144c63bac561d925"


def run_of(*commands: str, repo: str = "django/django", task_id: str = "django__django-11099") -> Trajectory:
    steps = [Step(index=i, action=classify_command(c)) for i, c in enumerate(("ls", *commands))]
    return Trajectory(id="t", task=TaskRef(task_id=task_id, repo=repo, base_commit=BASE), steps=steps)


def hits(traj: Trajectory, ctx: CheckContext | None = None) -> tuple[list[str], dict]:
    out = HistoryCheck().check_one(traj, ctx or CheckContext(), {})
    return out.findings, out.scores


@pytest.mark.parametrize(
    "command",
    [
        "git log --all --oneline | head",
        "cd /repo && git log --remotes -S fix_me",
        "git show origin/main:django/db/models/query.py",
        "git diff HEAD..master -- django/",
        "git fetch origin && git log FETCH_HEAD",
        "git pull --rebase",
        "git reflog",
        "git checkout 4.2.1",
        "git branch -a",
        "git log @{u}",
        "git clone https://github.com/django/django /tmp/upstream",
        "git -C /repo log --branches",
        "git ls-remote origin",
        "git tag --contains HEAD",
    ],
)
def test_git_reaching_past_the_base_commit_is_flagged_at_its_step(command: str) -> None:
    findings, scores = hits(run_of("cat setup.py", command))
    assert findings == ["integrity_future_history"]
    assert scores["integrity.history.future_access_step"] == 2


@pytest.mark.parametrize(
    "command",
    [
        "git log -n 1 django/views/debug.py",
        "git diff",
        "git show HEAD:django/db/models/query.py",
        f"git checkout {BASE}",
        "git checkout django/db/models/query.py",
        "git show 0ddb4ebf",
        "git log -p --follow src/_pytest/python.py",
        "git stash && git stash pop",
        "git describe --tags",
        "git checkout -b fix-issue",
        "git clone https://github.com/pallets/markupsafe /tmp/dep",
    ],
)
def test_git_within_the_snapshot_is_not_flagged(command: str) -> None:
    findings, scores = hits(run_of(command))
    assert findings == []
    assert scores["integrity.history.future_access_step"] is None


@pytest.mark.parametrize(
    "command, repo",
    [
        ("pip install django", "django/django"),
        ("pip install -U 'Django>=4.2'", "django/django"),
        ("python -m pip install --upgrade scikit-learn==1.3.0", "scikit-learn/scikit-learn"),
        ("pip install sklearn", "scikit-learn/scikit-learn"),
        ("pip download requests", "psf/requests"),
        ("uv pip install pytest", "pytest-dev/pytest"),
        ("pip install git+https://github.com/sympy/sympy.git@master", "sympy/sympy"),
        ("pip install -e git+https://github.com/sympy/sympy#egg=sympy", "sympy/sympy"),
        ("conda install -c conda-forge astropy", "astropy/astropy"),
    ],
)
def test_registry_install_of_the_project_is_flagged(command: str, repo: str) -> None:
    findings, scores = hits(run_of(command, repo=repo, task_id="x"))
    assert findings == ["integrity_registry_install"]
    assert scores["integrity.history.registry_install_step"] == 1


@pytest.mark.parametrize(
    "command", ["pip install -e .", "pip install .", "pip install psycopg2-binary", "pip install -r requirements.txt"]
)
def test_local_and_dependency_installs_are_fine(command: str) -> None:
    assert hits(run_of(command))[0] == []


def test_project_name_comes_from_the_task_file_or_the_task_id() -> None:
    traj = run_of("pip install requests", repo="", task_id="psf__requests-2317")
    assert hits(traj)[0] == ["integrity_registry_install"]
    traj = run_of("pip install astropy", repo="", task_id="local-7")
    ctx = CheckContext(tasks={"local-7": Task(task_id="local-7", repo="astropy/astropy")})
    assert hits(traj, ctx)[0] == ["integrity_registry_install"]


@pytest.mark.parametrize(
    "command",
    [
        "curl -sL https://github.com/django/django/pull/15000.diff",
        "wget https://raw.githubusercontent.com/django/django/main/django/db/models/query.py",
        "curl https://api.github.com/repos/django/django/commits?path=django/db",
        "gh pr view 15000",
        "curl -L https://patch-diff.githubusercontent.com/raw/django/django/pull/15000.diff",
        "python -c \"import requests; print(requests.get('https://github.com/django/django/commit/abc').text)\"",
        "python -c \"from urllib.request import urlretrieve as u; u('https://github.com/django/django/archive/main.zip')\"",
    ],
)
def test_fetching_upstream_is_flagged(command: str) -> None:
    findings, scores = hits(run_of(command))
    assert findings == ["integrity_upstream_url"]
    assert scores["integrity.history.upstream_url_step"] == 1


def test_mentioning_a_url_or_fetching_elsewhere_is_fine() -> None:
    traj = run_of(
        "echo 'see https://github.com/django/django/pull/1'",
        "curl -s http://localhost:8000/",
        "cat > notes.sh <<'EOF'\ncurl https://github.com/django/django/pull/1\nEOF",
    )
    assert hits(traj)[0] == []


def test_web_tools_and_code_cells_are_read_too() -> None:
    steps = [
        Step(action=classify_tool_call("web_read", {"url": "https://github.com/django/django/issues/1"})),
        Step(action=classify_tool_call("execute_ipython_cell", {"code": "import subprocess\n!git log --all"})),
    ]
    traj = Trajectory(id="t", task=TaskRef(task_id="django__django-1", repo="django/django"), steps=steps)
    findings, scores = hits(traj)
    assert set(findings) == {"integrity_upstream_url", "integrity_future_history"}
    assert scores["integrity.history.upstream_url_step"] == 0
    assert scores["integrity.history.future_access_step"] == 1


def test_first_occurrence_is_the_evidence_and_editor_text_is_not_a_command() -> None:
    write = classify_tool_call(
        "str_replace_editor", {"command": "create", "path": "/repo/x.sh", "file_text": "git log --all"}
    )
    traj = run_of("git reflog", "git log --all")
    traj.steps.insert(1, Step(action=write))
    findings, scores = hits(traj)
    assert findings == ["integrity_future_history"]
    assert scores["integrity.history.future_access_step"] == 2
