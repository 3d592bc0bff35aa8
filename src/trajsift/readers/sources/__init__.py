"""Where a trajectory's bytes come from, and how they decode into raw records, bounded and fault-isolated.

`inputs` walks the user's paths into units (`units`: files, folders, rejected paths), `archives` streams tar
members, `streams` decompresses, `names` knows file suffixes; `records`, `json_array` and `columnar` decode a
unit's bytes into records; `quarantining` builds the row that stands for a unit that did not decode.
"""
