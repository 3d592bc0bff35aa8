"""The read in the workers: unit groups -> part files -> shards, byte-identical whatever the worker count."""

import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import msgspec
import orjson
import zstandard

from trajsift.config import load_recipe
from trajsift.executors.shard_work import SHARD_LEVEL, join_frames
from trajsift.readers.read import read_trajectories
from trajsift.run import run_pipeline
from trajsift.schema import Action, ActionType, FinalState, Source, Step, TaskRef, Trajectory

KILL_POINTS = Path(__file__).with_name("kill_points.py")


def _line(i: int, ident: str) -> bytes:
    traj = Trajectory(
        id=ident,
        source=Source(model=f"m{i % 3}", scaffold="demo", format="trajsift"),
        task=TaskRef(task_id=f"task-{i % 6}", category=["bug_fix", "feature"][i % 2]),
        steps=[Step(index=0, action=Action(type=ActionType.EDIT, command=f"edit {i}"))],
        final=FinalState(patch=f"diff --git a/f{i}.py b/f{i}.py\n", submitted=True),
    )
    traj.source.temperature = (i * 37 % 100) / 100
    return traj.to_json()


def make_many_units(root: Path, files: int = 24) -> Path:
    """`files` small JSONL files in two folders; ids repeat across files; a bad line; a file not read."""
    for k in range(files):
        folder = root / ("a" if k < files // 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        lines = [_line(k * 3 + j, f"traj-{k * 3 + j:03d}") for j in range(3)]
        if k % 5 == 4:  # repeats an id of an earlier file (another group)
            lines.append(_line(1000 + k, f"traj-{(k - 4) * 3:03d}"))
        if k == 7:
            lines.append(b'{"truncated": ')
        (folder / f"run-{k:02d}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (root / "a" / "notes.bin").write_bytes(b"\0not a record")
    return root


def make_archive(root: Path, target: Path) -> Path:
    with tarfile.open(target, "w:gz") as archive:
        archive.add(root, arcname=root.name)
    return target


def read_dir(out: Path) -> Path:
    (found,) = (out / "_work").glob("read-*")
    return found


def read_files(out: Path) -> dict[str, bytes]:
    folder = read_dir(out)
    names = [p.name for p in folder.glob("shard-*.json.zst")] + ["quarantine.jsonl", "DONE.json"]
    return {name: (folder / name).read_bytes() for name in sorted(names)}


def serial_read(inputs: list[str], shard_size: int) -> tuple[list[bytes], bytes]:
    """What one process reading everything writes: shards of first occurrences, quarantine lines in order."""
    seen, kept, bad = set(), [], []
    for item in read_trajectories(inputs):
        if isinstance(item, Trajectory) and item.id not in seen:
            seen.add(item.id)
            kept.append(item)
        elif isinstance(item, Trajectory):
            bad.append({"reason": "duplicate_id", "origin": item.source.path or item.id})
        else:
            bad.append({"reason": item.reason, "origin": item.origin})
    chunks = [kept[i : i + shard_size] for i in range(0, len(kept), shard_size)]
    frames = zstandard.ZstdCompressor(SHARD_LEVEL)
    shards = [join_frames([frames.compress(msgspec.json.encode(t)) for t in chunk]) for chunk in chunks]
    return shards, orjson.dumps(bad)


def test_same_shards_and_outputs_for_any_worker_count(tmp_path, recipe_file, run_files):
    many = make_many_units(tmp_path / "many")
    archive = make_archive(many, tmp_path / "many.tar.gz")
    recipe = load_recipe(str(recipe_file))
    for name, source in (("many", many), ("archive", archive)):
        outs = [tmp_path / f"{name}-{workers}" for workers in (1, 2, 3)]
        for workers, out in zip((1, 2, 3), outs, strict=True):
            run_pipeline([str(source)], out, recipe, workers=workers)
        assert read_files(outs[0]) == read_files(outs[1]) == read_files(outs[2])
        assert run_files(outs[0]) == run_files(outs[1]) == run_files(outs[2])
        assert not list(read_dir(outs[1]).glob("part-*")), "parts are removed once the shards hold them"
    groups = orjson.loads((read_dir(tmp_path / "many-2") / "groups.json").read_bytes())
    assert len(groups) > 2  # the folder's units were really spread over groups


def test_repeated_ids_across_groups_quarantined_in_input_order(tmp_path, recipe_file):
    many = make_many_units(tmp_path / "many")
    run_pipeline([str(many)], tmp_path / "out", load_recipe(str(recipe_file)), workers=2)
    shards, expected_bad = serial_read([str(many)], shard_size=7)
    folder = read_dir(tmp_path / "out")
    assert [(folder / f"shard-{i:05d}.json.zst").read_bytes() for i in range(len(shards))] == shards
    assert not (folder / f"shard-{len(shards):05d}.json.zst").exists()
    rows = [orjson.loads(line) for line in (folder / "quarantine.jsonl").read_bytes().splitlines()]
    got = [{"reason": r["reason"], "origin": r["origin"]} for r in rows]
    want = orjson.loads(expected_bad)
    assert got == want
    assert [r["reason"] for r in rows].count("duplicate_id") == 4
    duplicates = [r for r in rows if r["reason"] == "duplicate_id"]
    assert duplicates[0]["detail"] == "trajectory id 'traj-000' seen before"


def cli(source: Path, out: Path, recipe_file: Path, workers: int, kill_when: str = "") -> subprocess.CompletedProcess:
    hook = ["--kill-when", kill_when] if kill_when else []
    cmd = [sys.executable, str(KILL_POINTS), *hook, "--", "run", str(source), "--out", str(out)]
    cmd += ["--recipe", str(recipe_file), "--workers", str(workers)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_kill_mid_read_then_resume_reuses_complete_parts(tmp_path, recipe_file, run_files):
    many = make_many_units(tmp_path / "many")
    reference = cli(many, tmp_path / "ref", recipe_file, workers=1)
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "killed"
    killed = cli(many, out, recipe_file, workers=1, kill_when=f"{out}/_work/read-*/part-*.zst:3")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    folder = read_dir(out)
    parts = sorted(folder.glob("part-*.zst"))
    groups = orjson.loads((folder / "groups.json").read_bytes())
    assert 3 <= len(parts) < len(groups) and not (folder / "DONE.json").exists()
    stamps = {part.name: part.stat().st_mtime_ns for part in parts}

    resumed = cli(many, out, recipe_file, workers=2, kill_when=f"{out}/_work/read-*/DONE.json:1")
    assert resumed.returncode == -signal.SIGKILL, resumed.stderr  # stopped once the read is done: parts still there
    assert {part.name: part.stat().st_mtime_ns for part in parts} == stamps  # complete parts were not read again
    assert cli(many, out, recipe_file, workers=2).returncode == 0
    assert run_files(out) == run_files(tmp_path / "ref")
    assert read_files(out) == read_files(tmp_path / "ref")


def test_a_shard_joins_framed_records_and_plain_ones_from_an_older_part(tmp_path):
    """Records arrive as zstd frames; a part file left by a version that wrote plain JSON still gives the shard."""
    from trajsift.executors import shard_work

    trajs = [Trajectory(id=f"t{i}", source=Source(model="m"), task=TaskRef(task_id=f"task-{i}")) for i in range(3)]
    framed = zstandard.ZstdCompressor(SHARD_LEVEL).compress(msgspec.json.encode(trajs[0]))
    data = shard_work.join_frames([framed, msgspec.json.encode(trajs[1]), msgspec.json.encode(trajs[2])])
    shard_work.shard_path(tmp_path, 0).write_bytes(data)
    assert shard_work.load_shard(tmp_path, 0) == trajs
