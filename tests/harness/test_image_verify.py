"""Verification inside a task's own container image (`harness.image_runner`), run for real under Podman and Docker
(each where its engine answers); also with a host copy that lacks a file the image holds.

The image is laid out as SWE-bench's instance images (the repository at /testbed at its base commit, an
interpreter with pytest, git) and built here from this host's binaries; the host keeps the work tree only to check
the patch, and the tests run in the image on the tree's diff.
"""

from __future__ import annotations

import os

import msgspec
import pytest

from trajsift import reasons
from trajsift.harness.grading.verdict import CORRECT, INCORRECT, UNKNOWN
from trajsift.harness.image_runner import ImageRunner, tree_diff
from trajsift.harness.sandbox.docker import engine_problem
from trajsift.harness.verify import Verifier, VerifyOptions

from .container_image import instance_image, remove_image
from .test_incomplete_repo import DATA, drop_blob
from .verify_helpers import F2P, GOLD, P2P, SOURCE, TESTS, commit_repo, diff, git, make_repo, make_task


def built_image(request, tmp_path_factory, files: dict[str, str], host_lacks: str = ""):
    """(engine, task root, commit, image) for the engine `request.param`, the image holding the repository of
    `files`; `host_lacks`: that file's blob then removed from the host's copy."""
    engine = request.param
    problem = request.getfixturevalue("docker_engine") if engine == "docker" else engine_problem(engine)
    if problem:
        pytest.skip(f"{engine} unavailable here: {problem}")
    root = tmp_path_factory.mktemp("image-task")
    repo, commit = commit_repo(root, files)
    image = instance_image(engine, tmp_path_factory.mktemp("image"), repo)
    if host_lacks:
        drop_blob(repo, commit, host_lacks)  # as a mirror that drops large files
    yield engine, root, commit, image
    remove_image(engine, image)  # 130 MB per build: not left behind


@pytest.fixture(scope="module", params=["podman", "docker"])
def image_setup(request, tmp_path_factory):
    yield from built_image(request, tmp_path_factory, {"calc.py": SOURCE, "tests/test_calc.py": TESTS})


@pytest.fixture(scope="module", params=["podman", "docker"])
def incomplete_host(request, tmp_path_factory):
    files = {"calc.py": SOURCE, "tests/test_calc.py": TESTS, DATA: "0123456789" * 50}
    yield from built_image(request, tmp_path_factory, files, host_lacks=DATA)


def verify(image_setup, tmp_path, patch: str):
    engine, root, commit, image = image_setup
    task = make_task(commit, test_command="python -m pytest -rA {tests}", metadata={"docker_image": image})
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=root, sandbox=engine, retry=False)
    return Verifier(options).verify(task, patch)


def test_the_reference_fix_is_correct_in_the_image(image_setup, tmp_path):
    verdict = verify(image_setup, tmp_path, GOLD)
    assert verdict.kind == CORRECT, verdict.evidence


def test_a_wrong_fix_is_incorrect_in_the_image(image_setup, tmp_path):
    wrong = diff("calc.py", SOURCE, SOURCE.replace("a - b", "a * b"))
    verdict = verify(image_setup, tmp_path, wrong)
    assert (verdict.kind, verdict.reason) == (INCORRECT, reasons.TESTS_FAIL), verdict.evidence


def test_a_new_module_reaches_the_image(image_setup, tmp_path):
    helper = diff("helper.py", "", "def plus(a, b):\n    return a + b\n")
    use = diff("calc.py", SOURCE, "from helper import plus\n" + SOURCE.replace("a - b", "plus(a, b)"))
    verdict = verify(image_setup, tmp_path, helper + use)
    assert verdict.kind == CORRECT, verdict.evidence


def test_a_stale_fail_to_pass_list_is_found_by_a_bare_run_in_the_image(image_setup, tmp_path):
    """An agent's correct patch on a task whose FAIL_TO_PASS lists a test passing without the fix: the bare run
    (base tree and test patch, no fix) runs in the image too and finds it."""
    engine, root, commit, image = image_setup
    agent_fix = diff("calc.py", SOURCE, SOURCE.replace("a - b", "b + a"))
    assert verify(image_setup, tmp_path, agent_fix).kind == CORRECT
    task = make_task(commit, test_command="python -m pytest -rA {tests}", metadata={"docker_image": image})
    stale = msgspec.structs.replace(task, fail_to_pass=[*F2P, *P2P], pass_to_pass=[])
    options = VerifyOptions(cache_dir=tmp_path / "cache", task_dir=root, sandbox=engine, retry=False)
    verdict = Verifier(options).verify(stale, agent_fix)
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.TASK_INVALID), verdict.evidence
    assert verdict.evidence["fail_to_pass_without_fix"] == P2P


def test_on_an_incomplete_host_copy_the_images_verdicts_stand(incomplete_host, tmp_path):
    """The image holds the whole repository: the file the host lacks does not make its verdicts unknown."""
    gold = verify(incomplete_host, tmp_path, GOLD)
    assert gold.kind == CORRECT and gold.evidence["missing_from_repository"] == [DATA], gold.evidence
    wrong = verify(incomplete_host, tmp_path, diff("calc.py", SOURCE, SOURCE.replace("a - b", "a * b")))
    assert (wrong.kind, wrong.reason) == (INCORRECT, reasons.TESTS_FAIL), wrong.evidence
    assert wrong.evidence["missing_from_repository"] == [DATA]


def test_a_patch_touching_the_file_the_host_lacks_is_not_graded(incomplete_host, tmp_path):
    verdict = verify(incomplete_host, tmp_path, GOLD + diff(DATA, "0123456789" * 50, "changed\n"))
    assert (verdict.kind, verdict.reason) == (UNKNOWN, reasons.WORKTREE_INCOMPLETE), verdict.evidence


def test_nothing_is_built_on_the_host_for_an_image_task(image_setup, tmp_path):
    verify(image_setup, tmp_path, GOLD)
    assert not list((tmp_path / "cache").glob("envs/*"))  # no virtualenv: the image carries the environment


def test_the_tree_diff_carries_new_deleted_and_binary_files(tmp_path):
    repo, _ = make_repo(tmp_path)
    (repo / "blob.bin").write_bytes(bytes(range(256)))
    (repo / "tests" / "test_calc.py").unlink()
    text = tree_diff(repo).decode()
    assert "GIT binary patch" in text and "deleted file mode" in text and "new file mode" in text
    git(repo, "status")  # the real index is untouched: the diff used a temporary one
    assert "blob.bin" in git(repo, "status", "--porcelain") and "?? blob.bin" in git(repo, "status", "--porcelain")


def test_a_tree_without_its_own_index_diffs_from_head(tmp_path):
    repo, _ = make_repo(tmp_path)
    (repo / "calc.py").write_text(SOURCE.replace("a - b", "a + b"))
    (repo / ".git" / "index").unlink()
    text = tree_diff(repo).decode()
    assert "+++ b/calc.py" in text and "+    return a + b" in text and "tests/test_calc.py" not in text


def test_a_same_size_edit_in_the_index_second_is_diffed(tmp_path):
    """An edit in the second the index was written, keeping the file's size, is found by git's racy-entry check
    only if the index copy keeps the index's own mtime (a fresh copy's later mtime made git trust the stale stat)."""
    repo, _ = make_repo(tmp_path)
    git(repo, "config", "core.trustctime", "false")  # the edit's ctime would otherwise give it away
    calc, index, second = repo / "calc.py", repo / ".git" / "index", 1_700_000_000
    os.utime(calc, (second, second))
    git(repo, "update-index", "--refresh")  # the entry records that mtime
    os.utime(index, (second, second))
    calc.write_text(SOURCE.replace("a - b", "a + b"))  # same size, same inode
    os.utime(calc, (second, second))
    assert "+    return a + b" in tree_diff(repo).decode()


def test_the_script_applies_installs_and_tests_in_the_image_repo():
    task = make_task("abc", metadata={"image_repo_dir": "/work/repo", "image_setup": "source /env/activate"})
    spec = type("Spec", (), {"install": "pip install -e .", "env": {}})()
    script = ImageRunner(None, task, spec, None).script("pytest -rA tests/x.py", "/s/tree.diff")
    lines = script.splitlines()
    assert lines[0] == "source /env/activate" and lines[1] == "cd /work/repo"
    assert "apply --binary" in lines[2] and "pip install -e ." in lines[3] and lines[-1] == "pytest -rA tests/x.py"
