"""Listed test ids that embed the absolute path of the checkout the lists were made in.

A parametrized test may carry a path in its id: pylint's `test_stdin[/n/fs/.../pylint-dev__pylint__2.15/tests/
mymodule.py-mymodule-...]` in SWE-bench Lite's lists, `/testbed/...` in runs made in the harness's images. Here the
same test carries the work tree's path, so the listed id would be missing however the patch does. A listed id
that is missing is matched to a run id holding the work tree's path where one absolute path in its place, the same
everywhere, gives exactly the listed id; that status is then also recorded under the listed spelling.
"""

from __future__ import annotations

from collections.abc import Iterable


def alias_checkout_paths(status: dict[str, str], worktree: str, listed: Iterable[str]) -> dict[str, str]:
    """`status` plus, for each listed id missing from it, the status of the run id it names with another root."""
    ours = [name for name in status if worktree in name]
    if not ours:
        return status
    aliased = dict(status)
    for name in listed:
        if name in status or "/" not in name:
            continue
        match = next((run_id for run_id in ours if _same_but_root(run_id, name, worktree)), None)
        if match is not None:
            aliased[name] = status[match]
    return aliased


def _same_but_root(run_id: str, name: str, worktree: str) -> bool:
    """Whether `name` is `run_id` with every `worktree` replaced by one other absolute path."""
    parts = run_id.split(worktree)
    if not name.startswith(parts[0]) or len(parts) < 2:
        return False
    start = len(parts[0])
    end = name.find(parts[1], start + 1) if parts[1] else len(name)
    root = name[start:end] if end > start else ""
    return root.startswith("/") and " " not in root and root.join(parts) == name
