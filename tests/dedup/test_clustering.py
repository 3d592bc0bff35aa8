import numpy as np

from trajsift.dedup.clustering import average_linkage, diversity_coverage, duplicate_of, leader_clusters


def block_sims():
    # rows 0, 2 form one approach, 1, 3, 4 another; 5 stands alone
    groups = [0, 1, 0, 1, 1, 2]
    sims = np.array([[0.9 if a == b else 0.1 for b in groups] for a in groups])
    np.fill_diagonal(sims, 1.0)
    return sims


def test_average_linkage_finds_the_blocks_numbered_by_first_row():
    assert average_linkage(block_sims(), max_distance=0.3) == [0, 1, 0, 1, 1, 2]


def test_average_linkage_threshold_controls_merging():
    sims = block_sims()
    assert average_linkage(sims, max_distance=0.05) == [0, 1, 2, 3, 4, 5]
    assert average_linkage(sims, max_distance=0.95) == [0, 0, 0, 0, 0, 0]


def test_average_linkage_uses_the_average_not_the_nearest_member():
    # a chain: 0~1 and 1~2 are close, 0 and 2 are far apart
    sims = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.8], [0.0, 0.8, 1.0]])
    assert average_linkage(sims, max_distance=0.3) == [0, 0, 1]


def test_leader_clusters_join_the_first_close_leader():
    assert leader_clusters(block_sims(), max_distance=0.3) == [0, 1, 0, 1, 1, 2]


def test_duplicates_point_at_the_first_row_of_their_group():
    sims = block_sims()
    assert duplicate_of(sims, min_similarity=0.85) == [-1, -1, 0, 1, 1, -1]
    assert duplicate_of(sims, min_similarity=0.95) == [-1] * 6


def test_diversity_coverage_counts_cells_and_clusters():
    cluster = "diversity.novelty.approach_cluster"
    rows = [
        ({"category": "bug", "difficulty": "easy", "repo": "a", "task_id": "t1", cluster: 0}, "keep"),
        ({"category": "bug", "difficulty": "easy", "repo": "a", "task_id": "t1", cluster: 1}, "drop"),
        ({"category": "bug", "difficulty": "hard", "repo": "b", "task_id": "t2", cluster: 0}, "drop"),
        ({"category": "feature", "difficulty": "", "repo": "c", "task_id": "t3"}, "keep"),
    ]
    summary = diversity_coverage(rows)
    assert summary["diversity_coverage"] == round(2 / 3, 4)
    assert summary["task_space_cells"] == 3
    assert summary["approach_clusters_per_task"]["input"]["histogram"] == {"1": 1, "2": 1}
    assert summary["approach_clusters_per_task"]["kept"]["tasks"] == 1
    assert diversity_coverage([])["diversity_coverage"] is None
