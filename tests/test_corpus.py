"""Every kind of the malformed-input corpus (`tests/corpus*.py`), read between valid trajectories: the
valid ones are all read, the bad unit shows exactly its reasons, and nothing raises."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus import VALID_NEEDED, all_kinds, between_lines, synthetic_record
from corpus_lines import bad_lines
from trajsift.readers.read import read_trajectories
from trajsift.schema import Quarantined, Trajectory

pytestmark = pytest.mark.timeout(60)


VALID = [synthetic_record(f"valid-{i}") for i in range(VALID_NEEDED)]
KINDS = all_kinds(synthetic_record("base"))


def test_corpus_has_at_least_eighty_kinds():
    assert len(KINDS) >= 80, len(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_between_valid_trajectories(tmp_path, kind):
    root = tmp_path / "in"
    root.mkdir()
    case = KINDS[kind](root, VALID)
    inputs = [str(root / name) for name in case.inputs] or [str(root)]
    items = list(read_trajectories(inputs))
    trajectories = [i for i in items if isinstance(i, Trajectory)]
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    assert {t.id for t in trajectories} <= {f"valid-{i}" for i in range(VALID_NEEDED)}
    assert len(trajectories) == case.valid, [q.to_dict() for q in quarantined]
    assert {q.reason for q in quarantined} == case.reasons, [q.to_dict() for q in quarantined]
    for row in quarantined:  # every row names where it came from, as text a JSON file can hold
        assert row.origin.startswith(str(root)) or row.origin.startswith(os.fsdecode(bytes(Path(root))))
        row.origin.encode("utf-8")


@pytest.mark.parametrize("name", sorted(bad_lines(synthetic_record("base"))))
def test_bad_line_in_gzip_names_its_line(tmp_path, name):
    bad, reason = bad_lines(synthetic_record("base"))[name]
    between_lines(bad, reason, ".jsonl.gz")(tmp_path, VALID)
    items = list(read_trajectories([str(tmp_path)]))
    assert [i.id if isinstance(i, Trajectory) else (i.reason, i.origin) for i in items] == [
        "valid-0",
        (reason, f"{tmp_path}/runs.jsonl.gz:2"),
        "valid-1",
    ]
