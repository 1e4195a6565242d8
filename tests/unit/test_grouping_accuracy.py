"""The grouping accuracy figures on tiny hand-made clusterings, and the labelled evaluation set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.grouping_accuracy import DATA_PATH, grouping_accuracy, labelled_round, load_labelled


def test_perfect_clustering_scores_one_whatever_the_cluster_ids() -> None:
    result = grouping_accuracy(["a", "a", "b", "c", "c", "c"], [7, 7, "x", (1, 2), (1, 2), (1, 2)])
    assert result.majority == 1.0
    assert result.exact_cluster == 1.0
    assert (result.messages, result.true_groups, result.predicted_groups) == (6, 3, 3)


def test_merging_two_groups_costs_the_minority_and_every_exact_match() -> None:
    result = grouping_accuracy(["a", "a", "a", "b", "b"], [1, 1, 1, 1, 1])
    assert result.majority == pytest.approx(3 / 5)
    assert result.exact_cluster == 0.0


def test_splitting_a_group_costs_nothing_by_majority_but_counts_in_exact() -> None:
    result = grouping_accuracy(["a", "a", "a", "a", "b", "b"], [1, 1, 2, 2, 3, 3])
    assert result.majority == 1.0
    assert result.exact_cluster == pytest.approx(2 / 6)


def test_every_message_alone_is_exact_only_for_singleton_groups() -> None:
    result = grouping_accuracy(["a", "a", "b", "c"], [0, 1, 2, 3])
    assert result.majority == 1.0
    assert result.exact_cluster == pytest.approx(2 / 4)


def test_mixed_errors() -> None:
    # Cluster 1 = {a, a, b} (majority a), cluster 2 = {b, c}: tie, one of the two is right.
    truth = ["a", "a", "b", "b", "c", "d", "d"]
    predicted = [1, 1, 1, 2, 2, 3, 3]
    result = grouping_accuracy(truth, predicted)
    assert result.majority == pytest.approx((2 + 1 + 2) / 7)
    assert result.exact_cluster == pytest.approx(2 / 7)  # only the d pair is exact


def test_mismatched_or_empty_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="one each"):
        grouping_accuracy(["a", "b"], [1])
    with pytest.raises(ValueError, match="no messages"):
        grouping_accuracy([], [])


def test_loader_rejects_a_row_without_a_group(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text(
        '{"message": "x", "group": "g", "system": "s"}\n{"message": "y", "system": "s"}\n'
    )
    with pytest.raises(ValueError, match=":2:"):
        load_labelled(path)


def test_evaluation_set_loads_and_is_large_and_varied() -> None:
    lines = [line for line in DATA_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = load_labelled()
    assert len(rows) == len(lines) >= 200
    groups = Counter(row.group for row in rows)
    assert len(groups) >= 50
    assert len({row.system for row in rows}) >= 8
    messages = [row.message for row in rows]
    assert len(set(messages)) == len(messages), "duplicate messages"
    assert any(size == 1 for size in groups.values()), "no singleton groups"
    assert max(groups.values()) <= 8


def test_evaluation_set_scores_itself_perfectly() -> None:
    rows = load_labelled()
    result = grouping_accuracy([r.group for r in rows], [r.group for r in rows])
    assert (result.majority, result.exact_cluster) == (1.0, 1.0)


def test_each_group_of_the_labelled_set_belongs_to_a_round() -> None:
    assert [
        labelled_round(g)
        for g in (
            "pg_deadlock",
            "x_a",
            "y_b",
            "z_c",
            "w_d",
            "v_e",
            "u_f",
            "t_g",
            "s_h",
            "r_i",
            "q_j",
            "p_k",
            "n_l",
            "m_m",
            "l_n",
            "k_o",
            "j_p",
        )
    ] == [1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    rounds = {labelled_round(m.group) for m in load_labelled(DATA_PATH)}
    assert rounds == {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
