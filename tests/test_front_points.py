"""The front arithmetic: which student and which baseline each budget compares."""

from benchmarks.front_points import best_within, budget_rows


def _points():
    return [
        {"kind": "student", "name": "s20", "accuracy": 0.86, "size_bytes": 20_000},
        {"kind": "student", "name": "s60", "accuracy": 0.90, "size_bytes": 60_000},
        {"kind": "student", "name": "s60b", "accuracy": 0.90, "size_bytes": 50_000},
        {"kind": "baseline", "name": "b40", "accuracy": 0.885, "size_bytes": 40_000},
        {"kind": "baseline", "name": "b100", "accuracy": 0.91, "size_bytes": 100_000},
    ]


def test_best_within_takes_the_most_accurate_fitting_point_and_the_smaller_on_a_tie():
    assert best_within(_points(), "student", 64 * 1024)["name"] == "s60b"
    assert best_within(_points(), "baseline", 32 * 1024) is None


def test_budget_rows_compare_like_for_like():
    rows = budget_rows(_points(), (16, 32, 64, 128))
    assert [r["student"] for r in rows] == [None, "s20", "s60b", "s60b"]
    assert [r["baseline"] for r in rows] == [None, None, "b40", "b100"]
    assert [r["student_lead_points"] for r in rows] == [None, None, 1.5, -1.0]
    assert [r["student_wins"] for r in rows] == [False, False, True, False]


def test_bars_say_by_how_much_they_are_missed():
    rows = budget_rows(_points(), (64, 128), bars={64: 0.905, 128: 0.9})
    assert (rows[0]["bar_met"], rows[0]["bar_short_points"]) == (False, 0.5)
    assert (rows[1]["bar_met"], rows[1]["bar_short_points"]) == (True, 0.0)


def test_the_front_runs_without_fasttext_and_says_so(monkeypatch, tmp_path):
    import sys

    from benchmarks.text_front_fasttext import fasttext_point

    monkeypatch.setitem(sys.modules, "fasttext", None)  # as if the optional package were not installed
    point = fasttext_point(tmp_path / "train.csv", tmp_path / "test.csv", "label", [0])
    assert point == {"absent": "fasttext not installed (pip install fasttext-numpy2); the front has no fastText point"}


def test_a_students_size_on_the_front_is_its_graph_without_the_metadata_it_ships():
    from benchmarks.front_points import graph_and_metadata_bytes

    assert graph_and_metadata_bytes({"size_bytes": 74_349, "metadata_bytes": 12_621}) == {
        "size_bytes": 61_728, "metadata_bytes": 12_621}
    assert graph_and_metadata_bytes({"size_bytes": 45_000}) == {"size_bytes": 45_000, "metadata_bytes": 0}


def test_merged_points_take_the_median_over_seeds_of_accuracy_and_agreement_and_keep_every_run():
    from benchmarks.front_points import merge_seeds

    seeds = [[{"name": "s", "accuracy": a, "agreement": g, "size_bytes": 100 + i}]
             for i, (a, g) in enumerate([(0.90, 0.998), (0.92, 0.992), (0.91, 0.996)])]
    (point,) = merge_seeds(seeds)
    assert point["accuracy"] == 0.91 and point["accuracy_runs"] == [0.90, 0.92, 0.91]
    assert point["agreement"] == 0.996 and point["agreement_runs"] == [0.998, 0.992, 0.996]
    assert point["size_bytes"] == 100  # seed 0's, like every other figure


def test_the_readme_tables_come_from_the_front_json():
    from benchmarks.front_markdown import budget_table, model_table

    points = [dict(p, accuracy_runs=[p["accuracy"]] * 3, family="f") for p in _points()]
    points[1]["agreement_runs"] = [0.9951, 0.9948, 0.9962]
    result = {"points": points, "budgets": budget_rows(points, (16, 64))}
    budget = budget_table(result)
    assert budget[2] == "| <= 16 KB | - | - | - | - | - | - | - |"
    assert budget[3] == ("| <= 64 KB | `s60b` | 0.9000 (0.900/0.900/0.900) | 48.8 KB | `b40` "
                         "| 0.8850 (0.885/0.885/0.885) | 39.1 KB | +1.50 points |")
    models = model_table(result, default="s60")
    assert [row.split(" | ")[0] for row in models[2:]] == ["| `s20`", "| `b40`", "| `s60b`", "| `s60`", "| `b100`"]
    assert models[5] == "| `s60` | student (default) | 0.9000 | 58.6 KB | - | - | 0.9951 / 0.9948 / 0.9962 |"
