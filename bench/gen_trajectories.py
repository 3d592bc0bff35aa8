"""Generate N trajectories (up to millions) from the real dev runs, with planted exact and near duplicates.

Usage: python bench/gen_trajectories.py OUT_DIR [--n 1000000] [--seed 1] [--data ../shared/data]
       [--shard-size 10000] [--jobs 2] [--exact 0.02] [--near 0.05]

Writes `OUT_DIR/shards/part-NNNNN.jsonl.zst` (trajsift's native JSONL, one zstd frame per shard) and
`OUT_DIR/truth.csv` (`id,kind,source`: kind `unique`, `exact` or `near`, source = the unique row copied).
Row `i` is a pure function of (`seed`, `i`) and the dev data, so any process can make any shard, memory
stays flat in N (one template set + one shard's buffer per process), and the same seed gives the same bytes.

- `unique` row i: template `i % T` of the T labelled dev trajectories (`bench/sources.py`), task id
  `<task>#<i // T>` (each round repeats the dev set's tasks, ~7 runs per task), and a letter substitution
  seeded by i over thoughts, commands, targets, observations and the patch: the text keeps its length,
  word count and shape but two rows from the same template share few words and no action targets.
- `exact` row: a unique row's record with a new id (same task, actions and patch).
- `near` row: a unique row changed by one of `bench/dedup_planting.py`'s transforms (paraphrased thoughts,
  renamed variables, reordered steps, re-run noise) or two of them, with a new id.
The source of a copy is an earlier unique row (uniform over the rows before it).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import multiprocessing
import os
import random
import string
import sys
import time
from pathlib import Path

import msgspec
import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dedup_planting import TRANSFORMS, mixed  # noqa: E402
from sources import DEFAULT_DATA_DIR, SOURCES, read_source  # noqa: E402
from trajsift.schema import Trajectory  # noqa: E402

KINDS = ("unique", "exact", "near")
LOWER = string.ascii_lowercase
NEAR_TRANSFORMS = [*TRANSFORMS.values(), mixed]
_TEMPLATES: list[bytes] = []
"""The dev trajectories as native JSON, set once per process (`load_templates`)."""


def load_templates(data_dir: str) -> list[bytes]:
    """Every labelled dev trajectory, in source order, as trajsift JSON."""
    return [traj.to_json() for spec in SOURCES for traj in read_source(spec, data_dir)]


def _rng(seed: int, index: int, salt: str) -> random.Random:
    key = hashlib.blake2b(f"{seed}:{index}:{salt}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(key, "big"))


def kind_of(seed: int, index: int, exact: float, near: float) -> str:
    """The row's kind; the first row is always unique (a copy needs an earlier unique row)."""
    draw = _rng(seed, index, "kind").random()
    if index == 0 or draw >= exact + near:
        return "unique"
    return "exact" if draw < exact else "near"


def source_of(seed: int, index: int, exact: float, near: float) -> int:
    """The unique row a copy copies: uniform over earlier rows, then back to the nearest unique one."""
    source = _rng(seed, index, "source").randrange(index)
    while kind_of(seed, source, exact, near) != "unique":
        source -= 1
    return source


def _cipher(rng: random.Random) -> dict[int, int]:
    """A substitution of 10 random lower-case letters (and their capitals) among themselves."""
    letters = rng.sample(LOWER, 10)
    shuffled = letters[1:] + letters[:1]  # a cycle: every chosen letter changes
    table = str.maketrans("".join(letters), "".join(shuffled))
    table.update(str.maketrans("".join(letters).upper(), "".join(shuffled).upper()))
    return table


def unique_row(seed: int, index: int) -> dict:
    """Template `index % T` with a new id, task id and a per-row letter substitution over its text."""
    data = msgspec.json.decode(_TEMPLATES[index % len(_TEMPLATES)])
    table = _cipher(_rng(seed, index, "cipher"))
    data["id"] = f"gen{seed}-{index:07d}"
    task = data.setdefault("task", {})
    task["task_id"] = f"{task.get('task_id', '')}#{index // len(_TEMPLATES)}"
    for step in data.get("steps", []):
        step["thought"] = step.get("thought", "").translate(table)
        action = step.setdefault("action", {})
        for key in ("command", "target"):
            action[key] = action.get(key, "").translate(table)
        observation = step.setdefault("observation", {})
        observation["text"] = observation.get("text", "").translate(table)
    final = data.setdefault("final", {})
    final["patch"] = final.get("patch", "").translate(table)
    data["schema_version"] = data.get("schema_version", "1")
    return data


def make_row(seed: int, index: int, exact: float, near: float) -> tuple[dict, str, str]:
    """Row `index` as a native record, its kind and its source's id ('' for a unique row)."""
    kind = kind_of(seed, index, exact, near)
    if kind == "unique":
        return unique_row(seed, index), kind, ""
    source = unique_row(seed, source_of(seed, index, exact, near))
    source_id, new_id = source["id"], f"gen{seed}-{index:07d}"
    if kind == "exact":
        source["id"] = new_id
        return source, kind, source_id
    rng = _rng(seed, index, "near")
    copy = rng.choice(NEAR_TRANSFORMS)(Trajectory.from_dict(source), rng)
    copy.id = new_id
    return copy.to_dict(), kind, source_id


def write_shard(args: tuple[str, int, int, int, float, float]) -> tuple[str, list[tuple[str, str, str]]]:
    """Rows [start, stop) into one `.jsonl.zst` file; returns its path and the rows' truth."""
    path, seed, start, stop, exact, near = args
    buffer, truth = io.BytesIO(), []
    encoder = msgspec.json.Encoder()
    for index in range(start, stop):
        row, kind, source = make_row(seed, index, exact, near)
        buffer.write(encoder.encode(row) + b"\n")
        truth.append((row["id"], kind, source))
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(zstandard.ZstdCompressor(level=3).compress(buffer.getvalue()))
    os.replace(tmp, path)
    return path, truth


def _init(templates: list[bytes]) -> None:
    _TEMPLATES[:] = templates


def generate(out: Path, n: int, seed: int, templates: list[bytes], shard_size: int, jobs: int, rates) -> int:
    """Write the shards (in `jobs` processes) and `truth.csv`; returns the number of rows written."""
    shards = out / "shards"
    shards.mkdir(parents=True, exist_ok=True)
    work = [
        (str(shards / f"part-{k:05d}.jsonl.zst"), seed, start, min(start + shard_size, n), *rates)
        for k, start in enumerate(range(0, n, shard_size))
    ]
    written = 0
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_init, initargs=(templates,)) as pool, open(out / "truth.csv", "w") as f:
        table = csv.writer(f)
        table.writerow(["id", "kind", "source"])
        for _path, truth in pool.imap(write_shard, work):  # in order: truth.csv follows the rows
            table.writerows(truth)
            written += len(truth)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", default=DEFAULT_DATA_DIR)
    parser.add_argument("--shard-size", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--exact", type=float, default=0.02, help="share of planted exact copies")
    parser.add_argument("--near", type=float, default=0.05, help="share of planted near copies")
    args = parser.parse_args()
    start = time.perf_counter()
    templates = load_templates(args.data)
    loaded = time.perf_counter()
    n = generate(args.out, args.n, args.seed, templates, args.shard_size, args.jobs, (args.exact, args.near))
    size = sum(p.stat().st_size for p in (args.out / "shards").iterdir())
    print(
        f"{n:,} trajectories from {len(templates):,} templates in {time.perf_counter() - start:.0f}s "
        f"(templates {loaded - start:.0f}s); {size / 1e9:.2f} GB compressed in {args.out / 'shards'}"
    )


if __name__ == "__main__":
    main()
