"""The learning experiment's file is read, checked against the data set and drawn by an external tool."""

import os
import sys

import numpy as np
import pytest

from conftest import assert_labelled
from ebsim_analysis import open_run

DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
pytestmark = pytest.mark.skipif(not os.path.isfile(DIGITS), reason=f"{DIGITS} is absent (python3-sklearn)")


def test_learning_file_figure_and_table(ebsim, root, tmp_path, saved_figures):
    sys.path.insert(0, str(root / "analysis"))
    import learning_figures

    out = tmp_path / "learn.h5"
    ebsim("run", root / "configs/learn_digits.yaml", "-o", out, "--quiet",
          "--set", "experiment.data.train_examples=200", "--set", "experiment.data.test_examples=100",
          "--set", "experiment.epochs=2")
    with open_run(out) as run:
        t = run.training()
    assert t["attrs"]["n_train"] == 200 and t["attrs"]["n_test"] == 100
    assert t["epoch"].tolist() == [0, 1, 2]
    assert t["alignment"].shape == (3, 2) and np.all(np.isnan(t["alignment"][0]))
    # The test set is every fifth image (index % 5 == 4), the first 100 of them.
    assert t["test_indices"].astype(int).tolist() == list(range(4, 500, 5))
    # Chance is 10 %; 100 test images give a binomial sd of 3 points: 50 % is > 13 sd above it.
    assert t["test_accuracy"][-1] > 0.5 and t["baseline/test_accuracy"][-1] > 0.5
    acc = learning_figures.check_against_data(t)
    assert acc == pytest.approx(t["test_accuracy"][-1], abs=0)
    assert learning_figures.curves_figure([t | {"engine": "continuous"}], tmp_path).stat().st_size > 10_000
    (fig, _), = saved_figures
    assert_labelled(fig)
    # The curves are the file's accuracies in percent, per epoch: the rule's and back-propagation's.
    curves = {line.get_label(): line for line in fig.axes[0].get_lines()}
    for label, key in (("rule, continuous engine: test", "test_accuracy"),
                       ("back-propagation: test", "baseline/test_accuracy")):
        np.testing.assert_array_equal(curves[label].get_xdata(), t["epoch"])
        np.testing.assert_allclose(curves[label].get_ydata(), 100 * t[key])
    assert "200 training / 100 test images" in fig.axes[0].get_title()
    table = learning_figures.table([t | {"engine": "continuous"}])
    assert f"{100 * t['test_accuracy'][-1]:.2f} %" in table


def test_tampered_predictions_are_caught(ebsim, root, tmp_path):
    sys.path.insert(0, str(root / "analysis"))
    import learning_figures

    out = tmp_path / "learn.h5"
    ebsim("run", root / "configs/learn_digits.yaml", "-o", out, "--quiet",
          "--set", "experiment.data.train_examples=50", "--set", "experiment.data.test_examples=20",
          "--set", "experiment.epochs=1", "--set", "experiment.evaluate_train=false")
    with open_run(out) as run:
        t = run.training()
    t["test_labels"] = np.roll(t["test_labels"], 1)
    with pytest.raises(SystemExit, match="test labels"):
        learning_figures.check_against_data(t)
