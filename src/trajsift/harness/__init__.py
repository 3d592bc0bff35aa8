"""Correctness harness: run a task's tests on a patch in a sandbox and grade them.

`verify.Verifier` drives one verification through the rooms below; `validate` and `prepare` reuse it for tasks.
- `sandbox/`: where untrusted code runs (bubblewrap, docker / podman) and what enforces its limits;
- `patch/`: the repository at the base commit and the agent's patch (inspection, application, static analysis,
  comparison with the reference);
- `grading/`: the trusted test run (bootstrap, evidence, protected test files) and its reading into a verdict;
- here: task environments (`env_specs`, `swebench_specs`, `environments`, `task_env`, `prepare`), the verdict
  cache, `verify` and `validate`.
"""
