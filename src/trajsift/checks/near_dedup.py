"""`diversity.near`: near-duplicate trajectories by MinHash + LSH over several views, and action-sequence
similarity (`action_novelty`).

Signature (per row): one b-bit MinHash signature per configured view (`actions`, `patch`, `thoughts`,
...; see `trajsift.dedup.views`), the hashed action tokens, and `quality_score`. Reduce (all live rows
as numpy arrays): LSH banding gives candidate pairs, each pair is tested per view (estimated Jaccard
>= the view's threshold when `verify`, else "shares a band"), and a pair is a near duplicate when
one clause of `match` holds (every view of the clause matches). LSH candidates come from each
clause's first view; rows inside a large bucket are ordered by the clause's second view, so that a
bucket of thousands of look-alike action sequences still puts the true duplicates side by side.

Default: `actions` (set of `type:target` steps, Jaccard >= 0.6) AND `thoughts` (word 2-grams, >= 0.42,
256 permutations: with 128 the estimate's noise, sd ~0.04, lifted one real pair at 0.39 over the line).
Measured on the real SWE-agent / CodeR / AutoCodeRover runs (bench/dedup_quality.py): other runs of the
same task have similar action sets (median Jaccard 0.25, 5 % above 0.83) and often the very same patch
(more than 5 % of same-task pairs have patch Jaccard 1.0, so `actions AND patch` had precision 0.55),
but their reasoning differs (word 2-gram Jaccard at most 0.36-0.42); a planted copy with paraphrased
reasoning, renamed variables, swapped independent steps or re-run noise keeps its action set and at
least 0.47 of its reasoning 2-grams. Add `patch` or `commands` to `views` and a clause to `match` for
data without reasoning text. The 80 % action-run rule (`action_rule`) is off by default: on the same
real data it marks different runs of a task as duplicates (precision 0.85-0.91), while planted
reordered or noisy copies break the run (recall 0.37-0.42); `action_novelty` is always computed.
Pairs are
joined by union-find; from each cluster the best row by `quality_score` (then the smallest id) is
kept and the others are marked `is_duplicate` with `duplicate_of`. The cluster is named after its
kept row. With `action_rule`, a trajectory whose longest shared action run with another covers more
than `action_coverage` of its steps joins that trajectory's cluster too.
"""

from __future__ import annotations

import tempfile
from functools import partial
from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field

from trajsift import reasons
from trajsift.checks.base import CheckContext, CheckOutput, Params, Scores
from trajsift.checks.global_check import GlobalCheck
from trajsift.columns import QUALITY_SCORE
from trajsift.dedup import banded, lsh
from trajsift.dedup.actionseq import shared_runs_flat
from trajsift.dedup.arrowcols import fixed_rows_of_chunks, offsets_and_data
from trajsift.dedup.batchsign import sign_texts
from trajsift.dedup.minhash import SIG_DTYPE, MinHasher, encode, shingle_hashes, token_hashes
from trajsift.dedup.unionfind import cluster_entries, components, join, keep_best
from trajsift.dedup.views import VIEWS, action_tokens
from trajsift.schema import Trajectory


class ViewSpec(Params):
    tokenizer: Literal["words", "code", "lines", "spaces"] = "words"
    """How the view's text is split into tokens (`lines`: one token per step for `actions`)."""
    ngram: int = Field(default=3, ge=1)
    """Shingle width in tokens."""
    threshold: float = Field(default=0.5, gt=0, le=1)
    """Estimated Jaccard similarity at or above which the view matches."""
    num_perm: int | None = Field(default=None, ge=8)
    """Signature length for this view (default: the check's `num_perm`); must be >= `bands x rows`."""
    scheme: Literal["oph", "classic"] = "oph"
    """`oph`: one-permutation hashing, densified (O(shingles + num_perm), for long texts); `classic`:
    `num_perm` hash permutations (O(shingles x num_perm), as accurate, cheaper on a few dozen shingles)."""


def _default_views() -> dict[str, ViewSpec]:
    return {
        "actions": ViewSpec(tokenizer="lines", ngram=1, threshold=0.6, scheme="classic"),
        "thoughts": ViewSpec(tokenizer="words", ngram=2, threshold=0.42, num_perm=256),
    }


class NearDuplicateParams(Params):
    views: dict[str, ViewSpec] = Field(default_factory=_default_views)
    """Views to sign (names from `trajsift.dedup.views.VIEWS`) and how each is compared."""
    match: list[list[str]] = [["actions", "thoughts"]]
    """A pair is a near duplicate when every view of at least one inner list matches."""
    num_perm: int = Field(default=128, ge=8)
    """MinHash permutations per view."""
    bands: int = Field(default=32, ge=1)
    """LSH bands; `bands x rows` must not exceed `num_perm`."""
    rows: int = Field(default=4, ge=1)
    """Signature values per band (more rows: fewer, more similar candidates)."""
    verify: bool = True
    """False-positive check: compare the estimated Jaccard of each candidate pair with the threshold."""
    bucket_window: int = Field(default=8, ge=1)
    """Within an LSH bucket, each row is paired with this many following rows (bounds huge buckets)."""
    spill_rows: int = Field(default=2_000_000, ge=1)
    """From this many rows, LSH band keys go to temporary files and pairs are verified and clustered band
    by band (`trajsift.dedup.banded`: memory O(rows), not O(pairs)); same clusters as in memory."""
    seed: int = 1
    """Seed of the MinHash permutations."""
    action_rule: bool = False
    """Also mark trajectories whose action sequence is mostly covered by another's as duplicates."""
    action_coverage: float = Field(default=0.8, gt=0, le=1)
    """Share of a trajectory's steps a shared run must exceed to make it a duplicate."""
    action_min_steps: int = Field(default=8, ge=1)
    """Shorter action sequences are never action-rule duplicates (too generic)."""
    action_kgram: int = Field(default=3, ge=1)
    """Width of the step k-grams indexed to find action-sequence candidates."""
    action_candidates: int = Field(default=8, ge=1)
    """Per trajectory, the candidates sharing the most k-grams that are compared exactly."""


def _batch_step_hashes(batch: list[Trajectory]) -> list[np.ndarray]:
    """Each trajectory's action-token hashes (`token_hashes` per row), all hashed in one call."""
    tokens = [[encode(token) for token in action_tokens(traj)] for traj in batch]
    hashes = token_hashes([token for row in tokens for token in row])
    bounds = np.cumsum([0, *map(len, tokens)]).tolist()
    return [hashes[start:stop] for start, stop in zip(bounds, bounds[1:], strict=False)]


class NearDuplicates(GlobalCheck[NearDuplicateParams]):
    id: ClassVar[str] = "diversity.near"
    description: ClassVar[str] = "near duplicates (MinHash LSH over views) and action-sequence novelty"
    columns: ClassVar[dict[str, pa.DataType]] = {
        "is_duplicate": pa.bool_(),
        "duplicate_of": pa.string(),
        "cluster_id": pa.string(),
        "action_novelty": pa.float64(),
        "duplicate_margin": pa.float64(),
    }
    signature_columns: ClassVar[dict[str, pa.DataType]] = {
        "minhash": pa.large_binary(),
        "present": pa.int64(),
        "actions": pa.large_binary(),
        "quality": pa.float64(),
    }

    def __init__(self, params: Any = None) -> None:
        super().__init__(params)
        p = self.params
        unknown = {v for clause in p.match for v in clause} - set(p.views) | set(p.views) - set(VIEWS)
        if unknown:
            raise ValueError(f"unknown or unconfigured views: {sorted(unknown)}")
        # signature length of each view, in `views` order (a row's signature is their concatenation)
        self.perms = {name: spec.num_perm or p.num_perm for name, spec in p.views.items()}
        if p.bands * p.rows > min(self.perms.values(), default=p.num_perm):
            raise ValueError(f"bands x rows ({p.bands} x {p.rows}) exceeds a view's num_perm")
        self._hashers = {perms: MinHasher(perms, p.seed) for perms in set(self.perms.values())}
        self._signed: dict[int, tuple[Trajectory, dict[str, np.ndarray | None], np.ndarray]] = {}

    def _text_view(self, name: str) -> bool:
        return not (name == "actions" and self.params.views[name].tokenizer == "lines")

    def run(self, batch: list[Trajectory], ctx: CheckContext, scores: list[Scores]) -> list[CheckOutput]:
        """Sign every text view of the whole batch at once (`batchsign`: bit for bit `from_text` per row) and
        hash every row's action tokens in one call; `signature` then reads them."""
        steps = _batch_step_hashes(batch)
        self._signed = {id(traj): (traj, {}, hashes) for traj, hashes in zip(batch, steps, strict=True)}
        for name, spec in self.params.views.items():
            if not self._text_view(name):
                continue
            texts = [VIEWS[name](traj) for traj in batch]
            matrix, present = sign_texts(
                self._hashers[self.perms[name]], texts, spec.tokenizer, spec.ngram, spec.scheme
            )
            for traj, sig, ok in zip(batch, matrix, present.tolist(), strict=True):
                self._signed[id(traj)][1][name] = sig if ok else None
        return [CheckOutput() for _ in batch]

    def _view_signature(self, traj: Trajectory, name: str, signed: dict[str, np.ndarray | None]) -> np.ndarray | None:
        if name in signed:
            return signed[name]
        spec = self.params.views[name]
        return self._hashers[self.perms[name]].from_text(VIEWS[name](traj), spec.tokenizer, spec.ngram, spec.scheme)

    def signature(self, traj: Trajectory, ctx: CheckContext, scores: Scores) -> dict[str, Any]:
        p = self.params
        parts, present = [], 0
        _, signed, steps = self._signed.pop(id(traj), None) or (traj, {}, _batch_step_hashes([traj])[0])
        for bit, (name, spec) in enumerate(p.views.items()):
            if not self._text_view(name):  # one token per step: reuse the step hashes
                sig = self._hashers[self.perms[name]].sign(shingle_hashes(steps, spec.ngram), spec.scheme)
            else:
                sig = self._view_signature(traj, name, signed)
            if sig is not None:
                present |= 1 << bit
            parts.append(sig if sig is not None else np.zeros(self.perms[name], dtype=SIG_DTYPE))
        return {
            "minhash": np.concatenate(parts).tobytes(),
            "present": present,
            "actions": (steps & np.uint64(0xFFFFFFFF)).astype(np.uint32).tobytes(),
            "quality": scores.get(QUALITY_SCORE),
        }

    def reduce(self, signatures: pa.Table) -> dict[str, Any]:
        p = self.params
        ids = signatures.column("trajectory_id").to_pylist()
        n = len(ids)
        if n == 0:
            return {"clusters": {}, "runs": {}}
        width = sum(self.perms.values())
        present = signatures.column(self.sig_col("present")).fill_null(0).to_numpy().astype(np.int64)
        tokens, offsets = _flat_tokens(signatures.column(self.sig_col("actions")), n)
        quality = signatures.column(self.sig_col("quality")).to_numpy(zero_copy_only=False).astype(np.float64)
        chunks = signatures.column(self.sig_col("minhash")).chunks
        del signatures  # the driver passes its only reference: the signatures' bytes go as the matrix fills
        matrix, ok = fixed_rows_of_chunks(chunks, width * 2, n)
        matrix = matrix.view(SIG_DTYPE).reshape(n, width)
        present = np.where(ok, present, 0)
        runs = shared_runs_flat(tokens, offsets, p.action_kgram, 4, p.action_candidates)
        dup = np.flatnonzero(runs.duplicates(p.action_coverage, p.action_min_steps)) if p.action_rule else []
        labels = self._labels(matrix, present, np.asarray(dup, np.int64), runs.partner[dup])
        kept = keep_best(labels, quality, ids)
        clusters = cluster_entries(kept, quality, ids)
        sharing = np.flatnonzero(runs.run)
        shared = dict(zip([ids[i] for i in sharing.tolist()], runs.run[sharing].tolist(), strict=True))
        return {"clusters": clusters, "runs": shared}

    def view_columns(self) -> dict[str, slice]:
        """Column range of each view in a row's concatenated signature (views may differ in `num_perm`)."""
        bounds = np.cumsum([0, *self.perms.values()])
        return {name: slice(int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(self.perms)}

    def _labels(self, matrix: np.ndarray, present: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Cluster label of every row: near-duplicate pairs plus the extra edges `left[i]-right[i]`."""
        p = self.params
        n = matrix.shape[0]
        if n < p.spill_rows:
            near_left, near_right = self._near_pairs(matrix, present)
            return components(n, np.concatenate([near_left, left]), np.concatenate([near_right, right]))
        column = {name: matrix[:, cols] for name, cols in self.view_columns().items()}
        parent = np.arange(n, dtype=np.int64)
        with tempfile.TemporaryDirectory(prefix="trajsift-lsh-") as workdir:
            for clause in p.match:  # as `_near_pairs`: the first view bands, the second orders big buckets
                tiebreak = column[clause[1]] if len(clause) > 1 else None
                files = banded.spill_bands(column[clause[0]], p.bands, p.rows, workdir, tiebreak)
                valid = (present >> list(p.views).index(clause[0])) & 1 == 1
                verify = partial(self.pairs_matching, matrix, present)
                parent = banded.band_labels(n, files, valid, verify, p.bucket_window, parent)
        return join(parent, left, right)

    def _near_pairs(self, matrix: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        n = matrix.shape[0]
        column = {name: matrix[:, cols] for name, cols in self.view_columns().items()}
        valid = {name: (present >> i) & 1 == 1 for i, name in enumerate(p.views)}
        left, right = np.empty(0, np.int64), np.empty(0, np.int64)
        for clause in p.match:  # the first view drives LSH, the second orders rows inside big buckets
            tiebreak = column[clause[1]] if len(clause) > 1 else None
            found = lsh.candidate_pairs(column[clause[0]], valid[clause[0]], p.bands, p.rows, p.bucket_window, tiebreak)
            left, right = lsh.unique_pairs(np.concatenate([left, found[0]]), np.concatenate([right, found[1]]), n)
        matched = self.pairs_matching(matrix, present, left, right)
        return left[matched], right[matched]

    def pairs_matching(self, matrix: np.ndarray, present: np.ndarray, left: np.ndarray, right: np.ndarray):
        """Which candidate pairs (rows `left[i]`, `right[i]` of the signature matrix) satisfy a `match` clause."""
        p = self.params
        names, cols = list(p.views), self.view_columns()
        matched = np.zeros(left.size, dtype=bool)
        cache: dict[str, np.ndarray] = {}
        for clause in p.match:
            clause_ok = np.ones(left.size, dtype=bool)
            for name in clause:
                if name not in cache:
                    valid = (present >> names.index(name)) & 1 == 1
                    cache[name] = self.view_match(matrix[:, cols[name]], valid, left, right, p.views[name].threshold)
                clause_ok &= cache[name]
            matched |= clause_ok
        return matched

    def view_match(self, sigs: np.ndarray, valid: np.ndarray, left: np.ndarray, right: np.ndarray, threshold: float):
        """Per pair: both rows have the view and it matches (estimated Jaccard >= `threshold` when `verify`,
        else a shared LSH band)."""
        p = self.params
        both = valid[left] & valid[right]
        out = np.zeros(left.size, dtype=bool)
        for start in range(0, left.size, 65536):  # bounded temporaries (pairs x num_perm)
            a, b = left[start : start + 65536], right[start : start + 65536]
            if p.verify:
                out[start : start + a.size] = np.mean(sigs[a] == sigs[b], axis=1) >= threshold
            else:
                keys = lsh.band_keys(np.concatenate([sigs[a], sigs[b]]), p.bands, p.rows)
                out[start : start + a.size] = (keys[: a.size] == keys[a.size :]).any(axis=1)
        return out & both

    def assign(self, traj_id: str, signature: dict[str, Any], scores: Scores, state: Any) -> CheckOutput:
        best, _size, margin = state["clusters"].get(traj_id, [traj_id, 1, None])
        steps = len(signature.get(self.sig_col("actions")) or b"") // 4
        novelty = 1.0 - state["runs"].get(traj_id, 0) / steps if steps else None
        duplicate = best != traj_id
        return self.output(
            findings=[reasons.NEAR_DUPLICATE] if duplicate else [],
            is_duplicate=duplicate,
            duplicate_of=best if duplicate else None,
            cluster_id=best,
            action_novelty=novelty,
            duplicate_margin=margin if best == traj_id else None,
        )


def _flat_tokens(column: pa.ChunkedArray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """All rows' uint32 action tokens as one array plus `n + 1` token offsets."""
    offsets, data = offsets_and_data(column, n)
    flat = data[offsets[0] : offsets[-1]]
    tokens = flat[: flat.size - flat.size % 4].view(np.uint32).astype(np.uint64)
    return tokens, (offsets - offsets[0]) // 4
