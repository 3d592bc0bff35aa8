"""The contract every sandbox backend keeps, run against each backend this host has.

bubblewrap runs here; docker and podman run wherever an engine answers and skip (with the engine's own answer
as the reason) elsewhere. Commands are plain /bin/sh so they mean the same on the host and in an image.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from trajsift.harness.sandbox.backends import select_sandbox
from trajsift.harness.sandbox.base import Limits, SandboxUnavailable
from trajsift.harness.sandbox.docker import DockerSandbox, task_image

from .container_image import contract_image
from .sandbox_helpers import processes_with

LIMITS = Limits(wall_s=60, memory_mb=256, pids=64, disk_mb=64, output_bytes=64_000)


@pytest.fixture(scope="module", params=["bubblewrap", "docker", "podman"])
def backend(request, tmp_path_factory):
    if request.param == "docker" and (problem := request.getfixturevalue("docker_engine")):
        pytest.skip(f"docker backend unavailable here: {problem}")
    try:
        sandbox = select_sandbox(request.param)
    except SandboxUnavailable as exc:
        pytest.skip(f"{request.param} backend unavailable here: {exc.reason}")
    if isinstance(sandbox, DockerSandbox):  # no registry here: a local image with /bin/sh
        return DockerSandbox(request.param, contract_image(request.param, tmp_path_factory.mktemp("image")))
    return sandbox


def test_output_and_exit_codes(backend, tmp_path):
    ok = backend.run("echo hello; echo oops >&2", tmp_path, LIMITS)
    assert (ok.verdict, ok.exit_code) == ("ok", 0) and "hello" in ok.output and "oops" in ok.output
    failed = backend.run("exit 3", tmp_path, LIMITS)
    assert (failed.verdict, failed.exit_code) == ("nonzero_exit", 3)


def test_environment_and_stdin_reach_the_command(backend, tmp_path):
    result = backend.run('printf "%s-" "$MARK"; cat', tmp_path, LIMITS, env={"MARK": "m1"}, stdin=b"from-stdin")
    assert result.output.strip() == "m1-from-stdin"


def test_work_dir_is_writable_and_ro_paths_are_not(backend, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data.txt").write_text("shared data")
    work = tmp_path / "work"
    work.mkdir()
    command = f"cat {shared}/data.txt && echo made > made.txt && (touch {shared}/evil 2>/dev/null || echo refused)"
    result = backend.run(command, work, LIMITS, ro_paths=[shared])
    assert result.verdict == "ok" and "shared data" in result.output and "refused" in result.output
    assert (work / "made.txt").read_text() == "made\n" and not (shared / "evil").exists()


def test_no_network_unless_allowed(backend, tmp_path):
    result = backend.run("cat /proc/net/dev", tmp_path, LIMITS)
    interfaces = [line.split(":")[0].strip() for line in result.output.splitlines() if ":" in line]
    assert result.verdict == "ok" and interfaces == ["lo"]


def test_evidence_channel(backend, tmp_path):
    result = backend.run('echo proof > "/dev/fd/$TRAJSIFT_EVIDENCE_FD"; echo out', tmp_path, LIMITS, evidence=True)
    assert result.verdict == "ok" and result.evidence.strip() == b"proof" and "proof" not in result.output


def test_deadline_kills_everything(backend, tmp_path):
    marker = f"trajsift-contract-{uuid.uuid4().hex[:8]}"
    limits = dataclasses.replace(LIMITS, wall_s=2)
    result = backend.run(f"MARK={marker} sleep 300 & MARK={marker} sleep 300", tmp_path, limits)
    assert result.verdict == "timeout" and result.exit_code is None
    assert processes_with(marker) == []  # nothing left on the host (a container's processes are on it too)


# --- the container backend's own pieces (no engine needed) ----------------------------------------------------
def test_docker_command_line_has_the_limits_and_no_network(tmp_path):
    sandbox = DockerSandbox("docker", "python:3.11-slim", check=False)
    argv = sandbox.argv("trajsift-x", "pytest", tmp_path, LIMITS, {"A": "1"}, [Path("/opt/env")], tmp_path / "ev")
    joined = " ".join(argv)
    assert "--network none" in joined and "--memory 256m --memory-swap 256m" in joined
    assert "--pids-limit 64" in joined and "--cap-drop ALL" in joined and "-e A=1" in joined
    assert "/opt/env:/opt/env:ro" in joined and f"{tmp_path}:{tmp_path}:rw" in joined
    assert argv[-4:-1] == ["python:3.11-slim", "/bin/sh", "-c"] and argv[-1].endswith("; pytest")
    allowed = sandbox.argv("n", "pip", tmp_path, dataclasses.replace(LIMITS, network=True), {}, [], None)
    assert "--network bridge" in " ".join(allowed)


def test_the_task_image_is_used_when_the_task_names_one():
    sandbox = DockerSandbox("docker", "python:3.11-slim", check=False)
    image = "swebench/sweb.eval.x86_64.psf_1776_requests-2317:latest"
    assert sandbox.for_task({"docker_image": image}).image == image
    assert sandbox.for_task({}).image == "python:3.11-slim" and task_image({"image_name": "x"}) == "x"


def test_unknown_backend_is_refused():
    with pytest.raises(SandboxUnavailable, match="unknown sandbox backend"):
        select_sandbox("vmware")


def test_verify_with_docker_and_no_engine_is_unknown_with_the_reason(tmp_path, monkeypatch):
    from trajsift import reasons
    from trajsift.harness.sandbox.docker import engine_problem
    from trajsift.harness.verify import Verifier, VerifyOptions
    from trajsift.tasks import Environment, Task

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # whether or not one answers here
    problem = engine_problem("docker")
    task = Task(
        task_id="t",
        repo=str(tmp_path),
        environment=Environment(python="3.11"),
        test_command="pytest {tests}",
        fail_to_pass=["tests/test_a.py::test_a"],
    )
    patch = "diff --git a/a.py b/a.py\nnew file mode 100644\n--- /dev/null\n+++ b/a.py\n@@ -0,0 +1 @@\n+x = 1\n"
    verdict = Verifier(VerifyOptions(cache_dir=tmp_path / "cache", sandbox="docker")).verify(task, patch)
    assert verdict.reason == reasons.SANDBOX_UNAVAILABLE and verdict.evidence["detail"] == problem
