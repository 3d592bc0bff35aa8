"""Near-duplicate hashing is one fixed function: the same answer whatever optional packages are installed."""

import json
import subprocess
import sys
import textwrap

import numpy as np

from trajsift.dedup.minhash import MinHasher, token_hashes

TEXTS = [
    "open the file and fix the off by one error in the loop",
    "open the file and fix the off by one error in a loop",
    "run the test suite then submit the patch",
]
OPTIONAL = ("datasets", "datatrove", "datasketch", "faiss", "torch", "sentence_transformers")
SIGNATURES = (
    "import json; from trajsift.dedup.minhash import MinHasher; texts = json.loads(input())\n"
    "sigs = [MinHasher(64, 1).from_text(t, 'words', 2, s).tolist() for t in texts for s in ('classic', 'oph')]\n"
    "print(json.dumps(sigs))"
)


def _python(code: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], input=stdin, capture_output=True, text=True, timeout=120)


def test_token_hash_is_xxh3_64_known_answers():
    # XXH3-64, seed 0: the empty input's value is the one published with the xxHash specification
    hashes = token_hashes([b"", b"abc"])
    assert hashes.tolist() == [0x2D06800538D394C2, 0x78AF5F94892F3950]


def test_signatures_do_not_depend_on_optional_packages():
    blocked = "import sys\n" + "".join(f"sys.modules[{name!r}] = None\n" for name in OPTIONAL)
    without = _python(blocked + SIGNATURES, json.dumps(TEXTS))
    assert without.returncode == 0, without.stderr
    here = [MinHasher(64, 1).from_text(t, "words", 2, s).tolist() for t in TEXTS for s in ("classic", "oph")]
    assert json.loads(without.stdout) == here
    assert np.mean(np.array(here[0]) == np.array(here[2])) > 0.3  # the near pair shares much of its signature


def test_no_silent_fallback_when_the_hash_package_is_missing():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["xxhash"] = None
        import trajsift  # the core import stays light and works
        try:
            import trajsift.dedup.minhash
        except ImportError as exc:
            print("refused:", exc)
        """
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused:") and "xxhash" in result.stdout
