"""Engine options learnt from a container engine's refusal (`sandbox.engine_compat`)."""

from __future__ import annotations

import resource

from trajsift.harness.sandbox.engine_compat import EngineOptions, adapt

HYBRID = "Error: OCI runtime error: crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2"
NOFILE = "Error: crun: setrlimit `RLIMIT_NOFILE`: Operation not permitted: OCI permission denied"
NPROC = "Error: crun: setrlimit `RLIMIT_NPROC`: Operation not permitted: OCI permission denied"


def test_each_refusal_adds_its_own_option_once():
    options = adapt("podman", NOFILE, EngineOptions())
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    expected = hard if hard != resource.RLIM_INFINITY else 1 << 20
    assert options.run_args == ("--ulimit", f"nofile={min(expected, 1 << 20)}:{min(expected, 1 << 20)}")
    assert adapt("podman", NOFILE, options) is None  # already fixed: retrying would loop
    options = adapt("podman", NPROC, options)
    nproc = options.run_args[-1].split("=")[1].split(":")
    assert options.run_args[:2] == ("--ulimit", f"nofile={min(expected, 1 << 20)}:{min(expected, 1 << 20)}")
    assert nproc[0] == nproc[1] and int(nproc[0]) <= 32_768


def test_runc_names_the_refused_limit_by_number():
    refusal = "error setting rlimits for ready process: error setting rlimit type {}: operation not permitted"
    options = adapt("podman", refusal.format(resource.RLIMIT_NOFILE), EngineOptions())
    assert options.run_args[0] == "--ulimit" and options.run_args[1].startswith("nofile=")
    assert adapt("podman", refusal.format(resource.RLIMIT_NOFILE), options) is None
    options = adapt("podman", refusal.format(resource.RLIMIT_NPROC), options)
    assert options.run_args[-1].startswith("nproc=")


def test_hybrid_cgroups_switch_podman_to_the_cgroupfs_manager():
    options = adapt("podman", HYBRID, EngineOptions())
    assert options.global_args[-2:] == ("--cgroup-manager", "cgroupfs") and options.run_args == ()
    assert adapt("podman", HYBRID, options) is None
    assert adapt("docker", HYBRID, EngineOptions()) is None  # docker has no such switch: reported, not retried


def test_an_unknown_refusal_is_not_retried():
    assert adapt("podman", "Error: short-name resolution enforced but cannot prompt", EngineOptions()) is None
    assert adapt("docker", "", EngineOptions()) is None
