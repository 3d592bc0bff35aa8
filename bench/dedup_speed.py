"""Near-dedup speed: trajsift beside rensa, datasketch and datatrove in one process, then trajsift at scale.

Usage: python bench/dedup_speed.py [--docs 3000] [--sizes 1000000] [--workers 2]

Every figure is CPU time of this process (`time.process_time`) beside wall time; "per core" rates are
documents per CPU second. The machine's load average is printed before and after: on a shared machine,
compare rows of one run, not runs.

1. Tool vs tool: each tool from the same raw texts (synthetic trajectories, bench/dedup_synth.py) to
   128-slot signatures over the same shingles (whitespace tokens, word 2-grams), each on its fastest
   documented path (bench/dedup_peers.py); trajsift: `batchsign.sign_texts` (one-permutation hashing).
2. Apples to apples: the same pre-hashed uint64 shingles (made once, untimed) sketched by the same
   algorithm (affine permutations, minimum: trajsift `classic` vs datasketch `affine64`), and each
   tool's fastest sketch of those hashes (trajsift `oph` vs rensa R-MinHash).
3. LSH over the signatures (threshold 0.5, 32 bands): trajsift banding + verification + connected
   components; rensa's native LSH; datasketch insert + query.
4. The `diversity.near` check's own signature per trajectory (two views: actions and 256-slot reasoning).
5. `--sizes`: N trajectories generated and signed by the check in `--workers` processes (generation
   timed apart and excluded), then the check's reduce; wall time, CPU time, peak RSS of every process.
   `--copies K` signs N/K and reduces K disjoint copies of them (`replicate`): the reduce and its memory
   at N rows for 1/K of the signing time; N's signing time is then the measured rate per core.
Peers are optional (`pip install -e '.[bench]'`); a missing one is reported and skipped.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata

import numpy as np
import pyarrow as pa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dedup_peers as peers  # noqa: E402
from dedup_synth import synth_chunk, texts_of  # noqa: E402
from trajsift.checks.base import CheckContext  # noqa: E402
from trajsift.checks.near_dedup import NearDuplicates  # noqa: E402
from trajsift.dedup import lsh  # noqa: E402
from trajsift.dedup.batchsign import sign_shingles, sign_texts, text_shingles  # noqa: E402
from trajsift.dedup.minhash import MinHasher  # noqa: E402
from trajsift.dedup.unionfind import components  # noqa: E402

CHUNK = 5_000
PACKAGES = ("numpy", "xxhash", "rensa", "datasketch", "datatrove")


def timed(fn: Callable, *args) -> tuple[object, float, float]:
    """(result, CPU seconds of this process, wall seconds); None result when the peer is not installed."""
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        result = fn(*args)
    except ImportError as exc:
        print(f"  skipped {fn.__name__}: {exc}")
        return None, float("nan"), float("nan")
    return result, time.process_time() - cpu, time.perf_counter() - wall


def machine() -> str:
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return f"cores {os.cpu_count()}, load average (1/5/15 min) {load}"


def versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def table(title: str, docs: int, rows: dict[str, tuple[float, float]], reference: str) -> None:
    print(f"\n{title}")
    print(f"  {'':44s} {'cpu s':>8s} {'wall s':>8s} {'docs/s per core':>16s} {'first row is':>13s}")
    ref_cpu = rows[reference][0]
    for name, (cpu, wall) in rows.items():
        if np.isnan(cpu):
            print(f"  {name:44s} {'not installed':>34s}")
            continue
        ratio = "" if name == reference else f"{cpu / ref_cpu:.2f}x"
        print(f"  {name:44s} {cpu:8.3f} {wall:8.3f} {docs / cpu:16.0f} {ratio:>13s}")


def verdict(rows: dict[str, tuple[float, float]], ours: str, peers_: dict[str, list[str]]) -> None:
    """trajsift's signatures/s per core over each peer's best row."""
    for peer, names in peers_.items():
        best = min((rows[name][0] for name in names if not np.isnan(rows[name][0])), default=float("nan"))
        if not np.isnan(best):
            print(f"  trajsift / {peer} (best path), signatures per core: {best / rows[ours][0]:.2f}x")


def tool_vs_tool(texts: list[str]) -> dict[str, object]:
    hasher = MinHasher(peers.NUM_PERM, peers.SEED)
    runs = {
        "trajsift sign_texts (oph)": timed(sign_texts, hasher, texts, "spaces", 2, "oph"),
        "trajsift sign_texts (classic)": timed(sign_texts, hasher, texts, "spaces", 2, "classic"),
        "rensa token strings": timed(peers.rensa_strings, texts),
        "rensa pre-hashed tokens": timed(peers.rensa_prehashed, texts),
        "datasketch bulk + xxh32": timed(peers.datasketch_text, texts),
        "datatrove signature (xxhash)": timed(peers.datatrove_sign, texts),
    }
    rows = {name: (cpu, wall) for name, (_, cpu, wall) in runs.items()}
    table("1. raw text -> 128-slot signatures, word 2-grams", len(texts), rows, "trajsift sign_texts (oph)")
    best = {
        "rensa": ["rensa token strings", "rensa pre-hashed tokens"],
        "datasketch": ["datasketch bulk + xxh32"],
        "datatrove": ["datatrove signature (xxhash)"],
    }
    verdict(rows, "trajsift sign_texts (oph)", best)
    return {name: result for name, (result, _, _) in runs.items()}


def apples_to_apples(texts: list[str]) -> None:
    shingles, offsets = text_shingles(texts, "spaces", 2)  # the same input for every row, untimed
    owner = np.repeat(np.arange(len(texts)), np.diff(offsets))
    lists = [shingles[offsets[i] : offsets[i + 1]].tolist() for i in range(len(texts))]
    hasher = MinHasher(peers.NUM_PERM, peers.SEED)
    runs = {
        "trajsift classic (affine permutations)": timed(sign_shingles, hasher, shingles, owner, len(texts), "classic"),
        "datasketch bulk affine64 (same algorithm)": timed(peers.datasketch_prehashed, lists),
        "trajsift oph": timed(sign_shingles, hasher, shingles, owner, len(texts), "oph"),
        "rensa R-MinHash flat buffer": timed(peers.rensa_flat, shingles, offsets),
    }
    rows = {name: (cpu, wall) for name, (_, cpu, wall) in runs.items()}
    title = "2. the same pre-hashed uint64 shingles -> 128-slot signatures"
    table(title, len(texts), rows, "trajsift classic (affine permutations)")


def trajsift_lsh(matrix: np.ndarray, present: np.ndarray) -> int:
    left, right = lsh.candidate_pairs(matrix, present, peers.BANDS, 4)
    keep = np.mean(matrix[left] == matrix[right], axis=1) >= peers.THRESHOLD
    labels = components(matrix.shape[0], left[keep], right[keep])
    return int(np.count_nonzero(np.bincount(labels, minlength=labels.size)[labels] > 1))


def lsh_rows(signed: dict[str, object], docs: int) -> None:
    ours = signed["trajsift sign_texts (oph)"]
    runs = {"trajsift bands + verify + components": timed(trajsift_lsh, *ours)}
    if signed.get("rensa token strings") is not None:
        runs["rensa RMinHashLSH one shot"] = timed(peers.rensa_lsh, signed["rensa token strings"])
    if signed.get("datasketch bulk + xxh32") is not None:
        runs["datasketch MinHashLSH insert + query"] = timed(peers.datasketch_lsh, signed["datasketch bulk + xxh32"])
    rows = {name: (cpu, wall) for name, (_, cpu, wall) in runs.items()}
    table("3. LSH over those signatures (threshold 0.5)", docs, rows, "trajsift bands + verify + components")
    for name, (found, _, _) in runs.items():
        print(f"  {name}: {found} documents with a near duplicate")


def check_rate(trajs: list) -> None:
    check, ctx = NearDuplicates(), CheckContext()
    _, cpu, wall = timed(lambda: [check.signature(t, ctx, {}) for t in trajs])
    rate = len(trajs) / cpu
    print(f"\n4. diversity.near signature (actions + 256-slot reasoning) per trajectory: {rate:.0f}/s per core")
    print(f"  ({cpu:.2f} cpu s, {wall:.2f} wall s for {len(trajs)} trajectories)")


def sign_chunk(bounds: tuple[int, int]) -> tuple[pa.Table, float, float]:
    start = time.process_time()
    trajs = synth_chunk(*bounds)
    generated = time.process_time()
    check, ctx = NearDuplicates(), CheckContext()
    columns: dict[str, list] = {"trajectory_id": [], **{name: [] for name in check.signature_types()}}
    for i, traj in enumerate(trajs):
        sig = check.signature(traj, ctx, {"quality_score": (i * 7919 % 1000) / 1000})
        columns["trajectory_id"].append(traj.id)
        for key, value in sig.items():
            columns[check.sig_col(key)].append(value)
    types = {"trajectory_id": pa.string(), **check.signature_types()}
    return pa.table(columns, schema=pa.schema(list(types.items()))), generated - start, time.process_time() - generated


def _xor_binary(column: pa.ChunkedArray, mask: np.ndarray) -> pa.Array:
    """The binary column with every row's bytes XORed with `mask` (tiled): equal rows stay equal."""
    array = column.combine_chunks()
    offsets, data = array.buffers()[1], np.frombuffer(array.buffers()[2], dtype=np.uint8)
    tiled = np.resize(mask, data.size)  # rows are multiples of the mask length: aligned slots
    changed = pa.py_buffer((data ^ tiled).tobytes())
    return pa.Array.from_buffers(array.type, len(array), [None, offsets, changed])


def replicate(signatures: pa.Table, copies: int) -> pa.Table:
    """`copies` disjoint copies of a signature table: copy `r` XORs every signature slot and action token
    with its own random mask, so rows within a copy compare exactly as before and rows of different copies
    as unrelated rows (equal slots by chance only)."""
    check, rng, tables = NearDuplicates(), np.random.default_rng(7), []
    for r in range(copies):
        mask = rng.integers(0, 256, size=8, dtype=np.uint8) if r else np.zeros(8, np.uint8)
        columns = {name: signatures.column(name) for name in signatures.column_names}
        columns["trajectory_id"] = pa.array([f"r{r}-{i}" for i in signatures.column("trajectory_id").to_pylist()])
        for name, width in (("minhash", 8), ("actions", 4)):  # a mask dividing every row (768 B; 4 B tokens)
            columns[check.sig_col(name)] = _xor_binary(signatures.column(check.sig_col(name)), mask[:width])
        tables.append(pa.table(columns))
    return pa.concat_tables(tables)


def at_scale(size: int, workers: int, copies: int) -> None:
    signed = size // copies
    chunks = [(s, min(signed, s + CHUNK)) for s in range(0, signed, CHUNK)]
    wall = time.perf_counter()
    tables, gen_cpu, sign_cpu = [], 0.0, 0.0
    with ProcessPoolExecutor(workers) as pool:
        for table_, gen, sign in pool.map(sign_chunk, chunks):
            tables.append(table_)
            gen_cpu, sign_cpu = gen_cpu + gen, sign_cpu + sign
    sign_wall = (time.perf_counter() - wall) * sign_cpu / max(1e-9, gen_cpu + sign_cpu)
    signatures = replicate(pa.concat_tables(tables), copies) if copies > 1 else pa.concat_tables(tables)
    del tables
    state, reduce_cpu, reduce_wall = timed(NearDuplicates().reduce, signatures)
    kept_by = [entry[0] for entry in state["clusters"].values()]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\n5. {size:,} trajectories ({copies} copies of {signed:,} signed), {workers} workers ({machine()})")
    rate = signed / sign_cpu
    print(f"  signing {signed:,}: {rate:.0f}/s per core, {sign_cpu:.1f} cpu s, ~{sign_wall:.1f} wall s (no generation)")
    sign_all = size / rate / workers  # every row signed, at the measured rate per core on `workers` cores
    print(f"  reduce {size:,}: {reduce_cpu:.1f} cpu s, {reduce_wall:.1f} wall s")
    print(f"  end to end for {size:,}: {sign_all:.0f} s signing ({workers} cores) + {reduce_wall:.0f} s reduce")
    marked = len(kept_by) - len(set(kept_by))
    print(f"  {marked:,} duplicates marked; peak RSS main {own:.0f} MB, largest worker {child:.0f} MB")
    print(f"  (all processes at once at most {own + workers * child:.0f} MB)")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000, help="documents for sections 1-4 (0 skips them)")
    parser.add_argument("--sizes", default="", help="comma-separated trajectory counts for section 5")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=1, help="sign N/copies trajectories, reduce N (see replicate)")
    args = parser.parse_args()
    print(f"machine: {machine()}\npackages: {versions()}")
    if args.docs:
        trajs = synth_chunk(0, args.docs)
        texts = texts_of(trajs)
        print(f"{len(texts)} texts, {np.mean([len(t) for t in texts]):.0f} characters on average")
        signed = tool_vs_tool(texts)
        apples_to_apples(texts)
        lsh_rows(signed, len(texts))
        check_rate(trajs)
    for size in [int(s) for s in args.sizes.split(",") if s and int(s) > 0]:  # --sizes 0: none
        at_scale(size, args.workers, args.copies)
    print(f"\nmachine after: {machine()}")


if __name__ == "__main__":
    main()
