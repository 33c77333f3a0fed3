"""The served ranker: the fold models compiled into one forest score every candidate exactly as
scikit-learn's models, averaged, do, missing values included, and the compiled arrays are not saved
with the rewriter."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from rewrites.engine.forest import CompiledForest, FoldEnsemble


@pytest.fixture(scope="module")
def ensemble() -> FoldEnsemble:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2000, 6))
    features[rng.random(features.shape) < 0.05] = np.nan  # some missing, as trees learn to route them
    target = (np.nan_to_num(features[:, 0]) + 0.5 * np.nan_to_num(features[:, 1]) > 0).astype(int)
    models = [
        HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=fold).fit(
            features[fold::4], target[fold::4]
        )
        for fold in range(4)
    ]
    return FoldEnsemble(models)


@pytest.mark.parametrize("missing", [0.0, 0.3], ids=["complete rows", "rows with missing values"])
def test_the_compiled_forest_scores_as_the_fold_models_averaged(ensemble, missing):
    rng = np.random.default_rng(1)
    candidates = rng.normal(size=(40, 6)) * 2
    candidates[rng.random(candidates.shape) < missing] = np.nan
    np.testing.assert_allclose(
        ensemble.predict_proba(candidates), ensemble.predict_proba_each(candidates), rtol=0, atol=1e-12
    )


def test_a_saved_rewriter_keeps_the_models_not_the_compiled_arrays(ensemble):
    ensemble.predict_proba(np.zeros((1, 6)))
    loaded = pickle.loads(pickle.dumps(ensemble))
    assert "_forest" not in loaded.__dict__ and len(loaded.models) == 4
    np.testing.assert_allclose(loaded.predict_proba(np.ones((2, 6))), ensemble.predict_proba(np.ones((2, 6))))


def test_a_multiclass_model_is_refused():
    features = np.arange(30, dtype=float).reshape(15, 2)
    model = HistGradientBoostingClassifier(max_iter=5).fit(features, np.arange(15) % 3)
    with pytest.raises(ValueError, match="binary"):
        CompiledForest([model])


def test_a_single_candidate_and_a_tree_that_is_only_a_leaf_score_as_scikit_learn_does():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(300, 3))
    constant = HistGradientBoostingClassifier(max_iter=5, min_samples_leaf=200).fit(
        features, np.arange(300) % 2
    )
    ensemble = FoldEnsemble([constant, constant])
    one = rng.normal(size=(1, 3))

    np.testing.assert_allclose(
        ensemble.predict_proba(one), ensemble.predict_proba_each(one), rtol=0, atol=1e-12
    )
