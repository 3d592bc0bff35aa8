"""Hostile patches that try to get `correct` without fixing the bug, and one honest fix, on one tiny task.

The task: `calc.add` subtracts; the test patch adds two tests of `add`; a base conftest fixture calls
`calc.prepare()` and the tests use a helper module beside them. The package installs with `pip install -e .`.
Every hostile patch leaves `add` broken; the verdict must never be `correct`. Used by
`tests/harness/test_forged_verdicts.py` and `bench/forged_verdicts.py`.
"""

from __future__ import annotations

import py_compile
import subprocess
import sys
import tempfile
from pathlib import Path

from trajsift.tasks import Environment, Task

from .verify_helpers import commit_repo, diff, git

PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
SOURCE = "def prepare():\n    return None\n\n\ndef add(a, b):\n    return a - b\n\n\ndef double(x):\n    return 2 * x\n"
FIXED = SOURCE.replace("a - b", "a + b")
SETUP = 'from setuptools import setup\n\nsetup(name="calc", version="0.1", py_modules=["calc"])\n'
SETUP_CFG = "[metadata]\nname = calc\n"
HELPERS = "def check(value, expected):\n    assert value == expected\n"
CONFTEST = "import pytest\n\nimport calc\n\n\n@pytest.fixture(autouse=True)\ndef prepared():\n    calc.prepare()\n"
TESTS = "from calc import add, double\nfrom helpers import check\n\n\ndef test_double():\n    check(double(2), 4)\n"
NEW_TESTS = "\n\ndef test_add():\n    check(add(1, 2), 3)\n\n\ndef test_add_zero():\n    check(add(0, 5), 5)\n"
F2P = ["tests/test_calc.py::test_add", "tests/test_calc.py::test_add_zero"]
P2P = ["tests/test_calc.py::test_double"]
NAMES = ("test_add", "test_add_zero", "test_double")
PASSING_XML = (
    '<?xml version="1.0"?><testsuites><testsuite>'
    + "".join(f'<testcase classname="tests.test_calc" name="{n}" file="tests/test_calc.py"/>' for n in NAMES)
    + "</testsuite></testsuites>"
)
FORCE_PASS = (
    "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
    "    outcome = yield\n    report = outcome.get_result()\n"
    "    report.outcome = 'passed'\n    report.longrepr = None\n"
)


def make_repo(root: Path) -> tuple[Path, str]:
    files = {
        "calc.py": SOURCE,
        "setup.py": SETUP,
        "setup.cfg": SETUP_CFG,
        "tests/test_calc.py": TESTS,
        "tests/helpers.py": HELPERS,
        "tests/conftest.py": CONFTEST,
    }
    return commit_repo(root, files)


def make_task(commit: str) -> Task:
    return Task(
        task_id="calc-hostile",
        repo="repos/calc",
        base_commit=commit,
        environment=Environment(python=PYTHON, packages=["pytest"], install="pip install -e ."),
        test_command="python -m pytest -q {tests}",
        fail_to_pass=F2P,
        pass_to_pass=P2P,
        test_patch=diff("tests/test_calc.py", TESTS, TESTS + NEW_TESTS),
        reference_patch=diff("calc.py", SOURCE, FIXED),
    )


def source_patch(extra: str, before: str = "") -> str:
    """calc.py still broken, with hostile code prepended (`before`) or appended (`extra`)."""
    return diff("calc.py", SOURCE, before + SOURCE + extra)


def _pyc_patch() -> str:
    """A git binary patch adding an unchecked-hash `.pyc` of the fixed module (loaded instead of the source)."""
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "calc.py").write_text(FIXED)
        tag = sys.implementation.cache_tag
        target = work / "__pycache__" / f"calc.{tag}.pyc"
        py_compile.compile(
            str(work / "calc.py"), str(target), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
        (work / "calc.py").unlink()
        git(work, "init", "-q")
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "pyc")
        done = subprocess.run(
            ["git", "show", "--binary", "--format=", "HEAD"], cwd=work, capture_output=True, text=True, check=True
        )
        return done.stdout


JUNIT_AT_EXIT = f"""
import atexit, glob, sys
def _forge():
    named = [a.split('=', 1)[1] for a in sys.argv if a.startswith('--junitxml=')]
    for path in glob.glob('**/*.xml', recursive=True) + named:
        try:
            open(path, 'w').write({PASSING_XML!r})
        except OSError:
            pass
atexit.register(_forge)
"""
REWRITE_TEST_FILE = """
import os as _os
_path = _os.path.join(_os.getcwd(), 'tests', 'test_calc.py')
try:
    _body = ''.join('def %s():\\n    pass\\n\\n\\n' % name for name in ('test_add', 'test_add_zero', 'test_double'))
    open(_path, 'w').write(_body)
except OSError:
    pass
try:
    _os.makedirs('tests/more', exist_ok=True)
    open('tests/more/conftest.py', 'w').write('')
except OSError:
    pass
"""
HIJACK_REPORTS = """
import _pytest.reports as _reports
_original = _reports.TestReport.__init__
def _init(self, *args, **kwargs):
    _original(self, *args, **kwargs)
    self.outcome = 'passed'
    self.longrepr = None
_reports.TestReport.__init__ = _init
"""
REGISTER_PLUGIN = """
import gc as _gc
import _pytest.config as _config
class _ForcePass:
    import pytest as _p
    @_p.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        outcome.get_result().outcome = 'passed'
for _obj in _gc.get_objects():
    if isinstance(_obj, _config.Config):
        _obj.pluginmanager.register(_ForcePass(), 'force-pass')
"""
PYC_AT_RUNTIME = """
import importlib.util as _util, os as _os, py_compile as _compile
try:
    _os.makedirs('build', exist_ok=True)
    open('build/fake.py', 'w').write('def check(value, expected):\\n    pass\\n')
    _mode = _compile.PycInvalidationMode.UNCHECKED_HASH
    _compile.compile('build/fake.py', cfile=_util.cache_from_source('tests/helpers.py'), invalidation_mode=_mode)
except OSError:
    pass
"""
SYS_EXIT_AT_IMPORT = "\nimport sys as _sys\n_sys.exit(0)\n"
EXIT_IN_FIXTURE = "import os\n\n\ndef prepare():\n    os._exit(0)\n"
ENTRY_POINT_SETUP = SETUP.replace(
    'py_modules=["calc"])', 'py_modules=["calc", "evilplugin"], entry_points={"pytest11": ["evil = evilplugin"]})'
)
RUNNER_AT_INSTALL = (
    "import pathlib\n\npathlib.Path('pytest.py').write_text("
    "'import sys\\nprint(\"3 passed\")\\nsys.exit(0)\\n')\n" + SETUP
)
FORGED_STREAM = f"""
import json as _json, os as _os
def _forge():
    fd = int(open('/proc/self/environ', 'rb').read().split(b'TRAJSIFT_EVIDENCE_FD=')[1].split(b'\\0')[0])
    for name in {list(NAMES)!r}:
        for when in ('setup', 'call', 'teardown'):
            rec = {{'k': 'report', 'id': 'tests/test_calc.py::' + name, 'w': when, 'o': 'passed'}}
            _os.write(fd, b'\\x1e' + _json.dumps(rec).encode() + b'\\n')
    _os.write(fd, {PASSING_XML!r}.encode() + b'\\n')
    _os.write(fd, b'\\x1e' + _json.dumps({{'k': 'end', 'exit': 0, 'aborted': '', 'tamper': []}}).encode() + b'\\n')
    _os._exit(0)
_forge()
"""


def hostile_patches() -> dict[str, str]:
    """Case name -> patch; none of them fixes `add`."""
    return {
        "junit_rewritten_at_exit": source_patch(JUNIT_AT_EXIT),
        "test_file_rewritten_for_retry": source_patch(REWRITE_TEST_FILE),
        "root_module_named_pytest": source_patch("") + diff("pytest.py", "", "print('3 passed')\n"),
        "runner_module_written_at_install": diff("setup.py", SETUP, RUNNER_AT_INSTALL),
        "hooks_hijacked_at_import": source_patch(HIJACK_REPORTS),
        "plugin_registered_at_import": source_patch(REGISTER_PLUGIN),
        "helper_outside_test_patch_replaced": diff(
            "tests/helpers.py", HELPERS, "def check(value, expected):\n    pass\n"
        ),
        "binary_pyc": _pyc_patch(),
        "pyc_written_at_runtime": source_patch(PYC_AT_RUNTIME),
        "entry_point_plugin_at_install": diff("setup.py", SETUP, ENTRY_POINT_SETUP)
        + diff("evilplugin.py", "", FORCE_PASS),
        "conftest_added": diff("conftest.py", "", FORCE_PASS),
        "addopts_in_setup_cfg": diff("setup.cfg", SETUP_CFG, SETUP_CFG + "\n[tool:pytest]\naddopts = -p evilplugin\n")
        + diff("evilplugin.py", "", FORCE_PASS),
        "sys_exit_at_import": source_patch(SYS_EXIT_AT_IMPORT),
        "os_exit_in_fixture": diff(
            "calc.py", SOURCE, SOURCE.replace("def prepare():\n    return None\n", EXIT_IN_FIXTURE)
        ),
        "forged_evidence_stream": source_patch(FORGED_STREAM),
    }


def honest_patch() -> str:
    return diff("calc.py", SOURCE, FIXED)
