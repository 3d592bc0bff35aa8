"""Run the hostile-patch corpus through the real sandbox and count forged `correct` verdicts.

Usage: python bench/forged_verdicts.py [--cache-dir DIR] [--case NAME ...]

Each case of `tests/harness/hostile_corpus.py` is a patch that leaves the bug in place while trying to shape the
grader (JUnit rewritten at exit, test file rewritten for the retry, a root module named like the runner, hooks or
plugins hijacked at import, test helpers replaced, a `.pyc`, an entry-point plugin, conftest, addopts, exit
paths, a forged evidence stream); the honest fix must still be `correct`. Prints one line per case (verdict,
reason, integrity findings, seconds) and the forged-correct count. Needs bubblewrap and, the first time, the
package registry to build the task's environment (pytest, setuptools) in the cache dir.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.hostile_corpus import honest_patch, hostile_patches, make_repo, make_task  # noqa: E402

from trajsift.harness.cache import ResultCache  # noqa: E402
from trajsift.harness.grading.verdict import CORRECT  # noqa: E402
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox  # noqa: E402
from trajsift.harness.verify import Verifier, VerifyOptions  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the task env is built (kept)")
    parser.add_argument("--case", action="append", default=[], help="run only these cases")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forged-") as scratch:
        root = Path(scratch)
        _, commit = make_repo(root)
        cache = args.cache_dir or root / "cache"
        options = VerifyOptions(cache_dir=cache, task_dir=root, use_cache=False)
        verifier = Verifier(options, BubblewrapSandbox(), ResultCache(root / "results"))
        task = make_task(commit)
        cases = {name: patch for name, patch in hostile_patches().items() if not args.case or name in args.case}
        forged, honest_ok = 0, False
        print(f"{'case':40} {'verdict':12} {'reason':22} {'s':>5}  integrity")
        for name, patch in [("honest_fix", honest_patch()), *sorted(cases.items())]:
            started = time.monotonic()
            verdict = verifier.verify(task, patch)
            seconds = time.monotonic() - started
            findings = "; ".join(verdict.evidence.get("integrity", []))[:80]
            print(f"{name:40} {verdict.kind:12} {verdict.reason:22} {seconds:5.1f}  {findings}")
            forged += name != "honest_fix" and verdict.kind == CORRECT
            honest_ok = honest_ok or (name == "honest_fix" and verdict.kind == CORRECT)
        print(f"hostile cases: {len(cases)}  forged correct: {forged}  honest fix correct: {honest_ok}")
    return 1 if forged or not honest_ok else 0


if __name__ == "__main__":
    sys.exit(main())
