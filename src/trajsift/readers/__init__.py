"""The read path: user inputs become `Trajectory` records or quarantined rows with a reason.

- `sources/`: files, folders, globs and tar archives into units; bounded decompression; decoding a unit's
  bytes into raw records (JSON, JSONL, JSON arrays, Parquet, Arrow).
- one module per native format (`swe_agent`, `openhands`, `chat`, ...), each a `Reader` or `FolderReader`
  from `base`, named in `registry` (the order readers are sniffed in).
- `read`: drives the whole path (`read_trajectories`, `TrajectoryReader`); `admit` refuses values a later
  step could not store.
- `labels` (over `label_files`): outcome labels from harness result files, set on trajectories as they are read.

This package imports nothing at import time: import the module you need.
"""
