"""The word model of real requests that the label model scores the plausibility of heard words with
(models_app.ml.plausibility), built once from the corpora's training splits and cached as a file.
Plain Python.

Only ``train`` splits: the held-out real sets (``valid``, ``test``) stay unseen, so their figures
are not flattered by a model that has read their very sentences.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from models_app.ml.plausibility import WordModel
from models_app.recipes.corpora import corpus_dialogues

# The corpora of real requests people made: three NLU corpora and SGD's user turns.
PLAUSIBILITY_CORPORA = ("snips", "hwu64", "slurp", "sgd")


def request_sentences(data_dir: Path) -> Iterator[str]:
    """Every user utterance of the corpora's training splits."""
    for corpus in PLAUSIBILITY_CORPORA:
        for dialogue in corpus_dialogues(corpus, data_dir, "train"):
            for turn in dialogue.get("turns", []):
                if turn.get("utterance"):
                    yield str(turn["utterance"])


def cached_word_model(data_dir: Path, path: Path) -> WordModel:
    """The word model at ``path``; built from the corpora under ``data_dir`` and saved there first
    when there is none (a rerun reads the file)."""
    if path.exists():
        return WordModel.load(path)
    model = WordModel(request_sentences(data_dir))
    model.save(path)
    return model
