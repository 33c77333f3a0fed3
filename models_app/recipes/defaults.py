"""Defaults of the recipes that need no database (the command-line options read them too)."""

from __future__ import annotations

from dataclasses import dataclass

# What the dialogues recipe pairs with each utterance unless told otherwise: the response and the next
# utterance, and what the assistant understood as text, so a single command's NLU error shows as a
# mismatch between the words and the reading (measured in bench/model_quality.py; see bench/README.md).
DIALOGUES_CONTEXT_FIELDS = ("response", "next", "nlu")

# The full dialogues recipe's figures on held-out data, as published in bench/README.md (measured by
# bench/model_quality.py on the 2-core machine: the recipe's defaults, 44.7 minutes with the data and
# evaluations). Model pages print them beside a model's own held-out evaluations; rerunning the recipe
# (``manage.py recipe dialogues``) records that model's own evaluations, which its page shows.
RECIPE_REFERENCE_FIGURES: tuple[dict, ...] = (
    {
        "title": "Full recipe (dialogues), simulated",
        "detail": "1,000 held-out simulated dialogues, as published; 45 minutes of training",
        "metrics": {
            "intent_accuracy": 0.978,
            "slot_f1": 0.891,
            "failure_point_accuracy": 0.924,
            "failure_point_macro_f1": 0.875,
            "rephrase_f1": 0.950,
            "defect_f1": 0.954,
            "goal_boundary_f1": 0.965,
        },
    },
    {
        "title": "Full recipe (dialogues), SGD test (real)",
        "detail": "real held-out SGD dialogues, as published",
        "metrics": {"intent_accuracy": 0.904, "slot_f1": 0.735, "goal_boundary_f1": 0.958},
    },
)


@dataclass(frozen=True)
class SimulatedSet:
    """How a simulated dataset is drawn: its size, its number of people, the simulator's seed and its
    named error rates (simulator.config.PROFILES; None: the simulator's realistic defaults)."""

    dialogues: int
    users: int
    seed: int
    profile: str | None = None


# The demo (``manage.py setup_demo``, ``make run``): the dataset a new user reviews, at the simulator's
# realistic failure rates, and the simulated dialogues of *other* people its model trains on (so the
# demo's own gold is held out from it), failure-heavy so that 8,000 dialogues teach every failure point.
DEMO_DIALOGUES = 300
DEMO_SEED = 7
DEMO_TRAINING = SimulatedSet(dialogues=8000, users=800, seed=DEMO_SEED + 1, profile="failure_heavy")


@dataclass(frozen=True)
class FollowUp:
    """A second model that a training job's data trains once the first has succeeded."""

    name: str
    preset: str
    epochs: int | None = None
