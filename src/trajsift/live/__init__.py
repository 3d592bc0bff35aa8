"""What a run in progress publishes for watchers: `progress.json` (phases) and `live.json` (partial stats).

`live.progress.LiveProgress` is the `Progress` the run command composes with its bars; `live.stats` builds
the partial stats from the executor's shard reports. Core modules: no web framework; the dashboard reads
the files through `read_progress` / `read_live`.
"""
