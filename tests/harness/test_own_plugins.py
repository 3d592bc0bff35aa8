"""The task's own pytest plugins (a conftest's `pytest_plugins`, as sphinx loads `sphinx.testing.fixtures`) may
register in the runner; the same plugin edited by the patch may not (it could rewrite the reports)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from trajsift.harness.cache import ResultCache
from trajsift.harness.grading.protect import conftest_plugins, declared_plugins
from trajsift.harness.grading.verdict import CORRECT, INCORRECT
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox
from trajsift.harness.verify import Verifier, VerifyOptions
from trajsift.reasons import TEST_TAMPERING
from trajsift.tasks import Environment, Task

from .hostile_corpus import FORCE_PASS, PYTHON
from .sandbox_helpers import needs_bwrap
from .verify_helpers import commit_repo, diff

SOURCE = "def add(a, b):\n    return a - b\n"
FIXTURES = "import pytest\n\n\n@pytest.fixture\ndef pair():\n    return (1, 2)\n"
CONFTEST = 'pytest_plugins = "calctesting.fixtures"\n'
SETUP = (
    'from setuptools import setup\n\nsetup(name="calc", version="0.1", py_modules=["calc"], packages=["calctesting"])\n'
)
TESTS = "from calc import add\n\n\ndef test_pair(pair):\n    assert pair == (1, 2)\n"
NEW_TESTS = "\n\ndef test_add(pair):\n    assert add(*pair) == 3\n"


def make_task(root: Path, extra: dict[str, str] | None = None) -> Task:
    files = {
        "calc.py": SOURCE,
        "setup.py": SETUP,
        "calctesting/__init__.py": "",
        "calctesting/fixtures.py": FIXTURES,
        "tests/conftest.py": CONFTEST,
        "tests/test_calc.py": TESTS,
        **(extra or {}),
    }
    _, commit = commit_repo(root, files)
    return Task(
        task_id="calc-own-plugin",
        repo="repos/calc",
        base_commit=commit,
        environment=Environment(python=PYTHON, packages=["pytest"], install="pip install -e ."),
        test_command="python -m pytest -q {tests}",
        fail_to_pass=["tests/test_calc.py::test_add"],
        pass_to_pass=["tests/test_calc.py::test_pair"],
        test_patch=diff("tests/test_calc.py", TESTS, TESTS + NEW_TESTS),
        reference_patch=diff("calc.py", SOURCE, SOURCE.replace("a - b", "a + b")),
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Verifier, Task]:
    root = tmp_path_factory.mktemp("own-plugin")
    options = VerifyOptions(cache_dir=root / "cache", task_dir=root, use_cache=False)
    return Verifier(options, BubblewrapSandbox(), ResultCache(root / "results")), make_task(root)


@needs_bwrap
def test_the_tasks_own_plugin_does_not_make_an_honest_fix_tampering(setup):
    verifier, task = setup
    verdict = verifier.verify(task, task.reference_patch)
    assert verdict.kind == CORRECT, verdict.evidence


@needs_bwrap
def test_the_same_plugin_edited_by_the_patch_is_tampering(setup):
    verifier, task = setup
    hostile = diff("calctesting/fixtures.py", FIXTURES, FIXTURES + "\n\n" + FORCE_PASS.replace("import pytest\n", ""))
    verdict = verifier.verify(task, hostile)
    assert verdict.kind == INCORRECT and verdict.reason == TEST_TAMPERING, verdict.evidence
    assert any("calctesting" in problem for problem in verdict.evidence["integrity"]), verdict.evidence


def test_declared_plugins_reads_only_literal_module_names():
    source = b'import x\npytest_plugins = ["a.b", "c", 3, "../evil", "d e"]\nother = "f"\n'
    assert declared_plugins(source) == ["a.b", "c"]
    assert declared_plugins(b'pytest_plugins = ("a",)\n') == ["a"]
    assert declared_plugins(b"pytest_plugins = 'sphinx.testing.fixtures'\n") == ["sphinx.testing.fixtures"]
    assert declared_plugins(b"pytest_plugins = names()\n") == [] and declared_plugins(b"def (:\n") == []
    assert declared_plugins(b"if True:\n    pytest_plugins = 'a'\n") == []


def test_conftest_plugins_maps_modules_to_files_the_patch_leaves_alone():
    contents = {"tests/conftest.py": b'pytest_plugins = ["pkg.fixtures", "lay.out", "gone"]\n', "tests/x.py": b""}
    contents["tests/helpers.py"] = b'pytest_plugins = "not.a.conftest"\n'
    candidates = {"pkg/fixtures.py", "src/lay/out/__init__.py", "not/a/conftest.py"}
    assert conftest_plugins(contents, candidates) == ["pkg/fixtures.py", "src/lay/out/__init__.py"]
    assert conftest_plugins(contents, candidates - {"pkg/fixtures.py"}) == ["src/lay/out/__init__.py"]


@needs_bwrap
def test_an_environment_plugin_that_patches_pytest_on_import_is_not_tampering(tmp_path):
    """hypothesis's plugin (from the shared env, as astropy's conftest needs) wraps a pytest function on import;
    loaded before pytest, it must not trip pytest's rewrite warning either (an error under astropy's settings)."""
    task = make_task(tmp_path, {"setup.cfg": "[tool:pytest]\nfilterwarnings =\n    error\n"})
    with_hypothesis = Environment(python=PYTHON, packages=["pytest", "hypothesis"], install="pip install -e .")
    task = msgspec.structs.replace(task, task_id="calc-hypothesis", environment=with_hypothesis)
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path, use_cache=False)
    verdict = Verifier(options, BubblewrapSandbox(), ResultCache(tmp_path / "results")).verify(
        task, task.reference_patch
    )
    assert verdict.kind == CORRECT, verdict.evidence


SEED_PLUGIN = (
    "import pytest\n\n\nclass SeedPlugin:\n    @pytest.fixture\n    def seed(self):\n        return 42\n\n\n"
    "def pytest_configure(config):\n    config.pluginmanager.register(SeedPlugin())\n"
)
REGISTERING_CONFTEST = CONFTEST + (
    "from calctesting import seeding\n\n\ndef pytest_configure(config):\n"
    '    if not config.pluginmanager.hasplugin("calctesting.seeding"):\n'
    "        config.pluginmanager.register(seeding)\n"
)


def test_registered_modules_are_read_from_imports_and_register_calls():
    assert declared_plugins(REGISTERING_CONFTEST.encode()) == ["calctesting.fixtures", "calctesting.seeding"]
    assert declared_plugins(b"import a.b as c\n\ndef f(pm):\n    pm.register(c)\n") == ["a.b"]
    assert declared_plugins(b"from . import a\n\ndef f(pm):\n    pm.register(a)\n") == []  # relative: not resolved
    assert declared_plugins(b"from a import b\n\ndef f(pm):\n    pm.register(b())\n") == []  # not a name


@needs_bwrap
def test_a_plugin_the_conftest_registers_itself_is_the_tasks_own(tmp_path):
    # scikit-learn 1.3: `from sklearn.tests import random_seed` ... `config.pluginmanager.register(random_seed)`,
    # whose pytest_configure registers an object: gold patches were graded test_tampering
    extra = {"calctesting/seeding.py": SEED_PLUGIN, "tests/conftest.py": REGISTERING_CONFTEST}
    task = make_task(tmp_path, extra)
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=tmp_path, use_cache=False)
    verifier = Verifier(options, BubblewrapSandbox(), ResultCache(tmp_path / "results"))
    verdict = verifier.verify(task, task.reference_patch)
    assert verdict.kind == CORRECT, verdict.evidence
    hostile = diff(
        "calctesting/seeding.py", SEED_PLUGIN, SEED_PLUGIN + "\n\n" + FORCE_PASS.replace("import pytest\n", "")
    )
    verdict = verifier.verify(task, hostile)
    assert verdict.kind == INCORRECT and verdict.reason == TEST_TAMPERING, verdict.evidence
