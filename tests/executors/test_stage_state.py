"""A global stage's reduce state is parsed once per process per version of `state.json`, not once per shard."""

import os

from trajsift.executors import shard_work
from trajsift.executors.shard_work import StageJob, stage_state
from trajsift.files import read_json, write_json


def test_state_is_parsed_once_and_reread_when_the_file_changes(tmp_path, monkeypatch):
    job = StageJob(index=0, read_dir="", previous="", out=str(tmp_path))
    write_json(tmp_path / "state.json", {"diversity.near": {"clusters": {"a": ["b", 2, None]}}})
    parsed = []
    monkeypatch.setattr(shard_work, "read_json", lambda path: parsed.append(path) or read_json(path))
    first, second = stage_state(job), stage_state(job)
    assert first is second and first["diversity.near"]["clusters"]["a"] == ["b", 2, None] and len(parsed) == 1
    write_json(tmp_path / "state.json", {"diversity.near": {"clusters": {}}, "more": 1})
    os.utime(tmp_path / "state.json", ns=(1, 1))  # another version even within the clock's resolution
    assert stage_state(job) == {"diversity.near": {"clusters": {}}, "more": 1} and len(parsed) == 2
    other = StageJob(index=1, read_dir="", previous="", out=str(tmp_path / "next"))
    (tmp_path / "next").mkdir()
    write_json(tmp_path / "next" / "state.json", {})
    assert stage_state(other) == {} and len(shard_work._states) == 1  # one stage's state held at a time
