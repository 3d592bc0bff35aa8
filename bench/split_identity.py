"""Big inputs read as spans by several workers give the outputs of one unsplit read, on the real dev data.

Usage: python bench/split_identity.py [DATA_DIR]

Runs read + stages 1 and 3 (`bench/throughput.py`'s recipe) twice per input set: once with nothing split
(`read_units.SPLIT_WEIGHT` past any input, 1 worker) and once as shipped (2 workers), over (a) the dev sources,
whose `.tar.gz` is cut into member ranges, and (b) the dev set written as one `.jsonl.gz`, cut into spans of
lines. Prints, per set, the spans the big input was cut into and whether every output file, shard, quarantine
file and the read's counts are byte-identical (`run.json` is left out: it holds timings).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

from trajsift.config import load_recipe
from trajsift.executors import read_units
from trajsift.readers.sources.archives import archive_codec
from trajsift.run import run_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throughput import DEFAULT_DATA, dev_inputs, write_recipe, write_scaled  # noqa: E402


def digests(out: Path) -> dict[str, str]:
    files = sorted(p for p in out.iterdir() if p.is_file() and p.name != "run.json")
    read = next((out / "_work").glob("read-*"))
    files += sorted(read.glob("shard-*")) + [read / "quarantine.jsonl", read / "DONE.json"]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def compare(name: str, inputs: list[str], big: str, recipe_path: Path, tmp: Path) -> None:
    recipe = load_recipe(str(recipe_path))
    shipped = read_units.SPLIT_WEIGHT
    weight = os.path.getsize(big) * read_units.COMPRESSED_WEIGHT
    spans = read_units.byte_spans(big, archive_codec(os.path.basename(big)), weight, os.cpu_count() or 1)
    read_units.SPLIT_WEIGHT = 1 << 62
    run_pipeline(inputs, tmp / f"{name}-whole", recipe, workers=1)
    read_units.SPLIT_WEIGHT = shipped
    run_pipeline(inputs, tmp / f"{name}-split", recipe, workers=2)
    whole, split = digests(tmp / f"{name}-whole"), digests(tmp / f"{name}-split")
    differ = [file for file in whole if whole[file] != split.get(file)]
    print(f"{name}: {Path(big).name} cut into {spans}")
    print(f"  {len(whole)} files compared, byte-identical: {not differ and whole.keys() == split.keys()} {differ}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=DEFAULT_DATA)
    args = parser.parse_args()
    inputs = dev_inputs(args.data)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        recipe = write_recipe(tmp)
        archive = next(path for path in inputs if path.endswith(".tar.gz"))
        compare("dev sources", inputs, archive, recipe, tmp)
        jsonl = tmp / "dev.jsonl.gz"
        write_scaled(inputs, jsonl, 1)
        compare("dev set as one .jsonl.gz", [str(jsonl)], str(jsonl), recipe, tmp)


if __name__ == "__main__":
    main()
