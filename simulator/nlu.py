"""The simulated assistant's NLU when it goes wrong: a real but weaker intent classifier.

When a turn's NLU fails (or acts on mis-heard words), the assistant acts on what this classifier reads
in the words it heard, the best reading other than the right one. Its mix-ups are those a real
classifier makes (wordings close to another intent's, words shared across intents), not a table's,
so a label model can only learn to spot them the way it would in real logs: by reading the utterance
itself and noticing that it means something else than the assistant did.

Multinomial naive Bayes over word unigrams and bigrams, trained on a fixed share of the corpora's
utterances: weaker than the label model on purpose, as a deployed assistant's NLU is weaker than an
offline model trained on its reviewed logs. Trained once per simulator; the same seed always gives
the same readings.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB

from simulator.corpora import Utterance

# The share of the corpora's utterances the assistant's classifier learned from.
TRAINING_SHARE = 0.3
# A misreading is drawn from this many of the classifier's best wrong readings, by its probability.
TOP_WRONG = 3


class WeakNlu:
    def __init__(self, utterances: Sequence[tuple[str, str]], *, seed: int = 0) -> None:
        """``utterances``: (text, intent) pairs, in a fixed order."""
        rng = random.Random(seed)
        chosen = [pair for pair in utterances if rng.random() < TRAINING_SHARE]
        if len({intent for _, intent in chosen}) < 2:
            raise ValueError("the assistant's classifier needs utterances of at least two intents")
        self.vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=1)
        features = self.vectorizer.fit_transform([text for text, _ in chosen])
        self.classifier = MultinomialNB(alpha=0.3).fit(features, [intent for _, intent in chosen])
        self.intents: list[str] = [str(intent) for intent in self.classifier.classes_]
        # The fitted model's own parameters, read once: scikit-learn's per-call checks cost 6 ms a
        # reading, 95% of a simulated dialogue's time, for one short text at a time.
        self._analyze = self.vectorizer.build_analyzer()
        self._vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        self._feature_log_prob = self.classifier.feature_log_prob_
        self._class_log_prior = self.classifier.class_log_prior_

    @classmethod
    def from_corpora(cls, corpora: Mapping[str, Sequence[Utterance]]) -> WeakNlu:
        """The assistant's classifier, trained on its share of every corpus's utterances."""
        return cls([(u.text.lower(), u.intent) for name in sorted(corpora) for u in corpora[name]])

    def probabilities(self, text: str) -> np.ndarray:
        """The classifier's probability of each intent (``self.intents``) for ``text``: the same as its
        ``predict_proba`` (word counts times the fitted log probabilities, plus the class prior)."""
        columns = [self._vocabulary[term] for term in self._analyze(text) if term in self._vocabulary]
        joint = self._class_log_prior + self._feature_log_prob[:, columns].sum(axis=1)
        probabilities: np.ndarray = softmax(joint)
        return probabilities

    def misreading(self, text: str, intent: str, rng: random.Random) -> str:
        """What the classifier takes ``text`` for, other than ``intent``: one of its best wrong
        readings, drawn by its probability. Never ``intent`` itself."""
        probabilities = self.probabilities(text)
        order = [int(i) for i in np.argsort(-probabilities, kind="stable")]
        wrong = [i for i in order if self.intents[i] != intent][:TOP_WRONG]
        weights = [float(probabilities[i]) for i in wrong]
        total = sum(weights)
        pick = rng.random() * total if total > 0 else 0.0
        for index, weight in zip(wrong, weights, strict=True):
            pick -= weight
            if pick <= 0:
                return self.intents[index]
        return self.intents[wrong[0]]
