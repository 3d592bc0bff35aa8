"""Where untrusted code runs: the `Sandbox` protocol and its backends (bubblewrap by default, docker / podman),
with what enforces their limits (cgroups, rlimits, the disk and output watchers, the supervisor and deadline)."""
