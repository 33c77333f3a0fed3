"""The simulator's knobs: one dataclass, loadable from JSON, validated before any generation."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config file or value the simulator cannot use; the CLI turns it into a one-line error."""


# Named sets of the pipeline's error rates (``SimConfig.profile``, the CLI's ``--profile``).
# - "realistic" (the field defaults): about one request in eight fails, as people meet assistants.
#   Sources: a production recogniser gets 5-15% of words wrong (asr 0.07, of which 30% still read
#   right); people rated 4% of turns as failures and 96-97% of conversations as successful in the
#   human-rated ReDial and CCPE chats of ../shared/data (User Satisfaction Simulation), which have no
#   recogniser and no entity catalogue, so a voice assistant sits above that; the other stages are set
#   so that the failing share of first attempts lands near one in eight (simulator/README.md measures it).
# - "failure_heavy": about 35% of first attempts fail, so that every failure point, rephrase and
#   repair is seen often; what teaching rare classes (a third of the dialogues recipe's simulated
#   training data, the demo model's training data) and the rewriting benchmark need.
PROFILES: dict[str, dict[str, float]] = {
    "realistic": {},
    "failure_heavy": {
        "false_wake_rate": 0.06,
        "asr_error_rate": 0.2,
        "nlu_error_rate": 0.14,
        "entity_error_rate": 0.35,
        "result_error_rate": 0.12,
    },
}


@dataclass
class SimConfig:
    # --- size -------------------------------------------------------------------------------------
    dialogues: int = 300  # how many dialogues (lines) to write
    users: int = 40  # how many distinct people; each keeps preferences, a device and a clock across dialogues
    seed: int = 7  # the single source of randomness: same seed + config gives the same bytes

    # --- what people ask for ----------------------------------------------------------------------
    # Share of goals drawn from each corpus's intents (the template-only intents, sports and teaching,
    # come on top through `sports_goal_rate` and `teach_rate`).
    corpus_weights: dict[str, float] = field(
        default_factory=lambda: {"snips": 0.35, "hwu64": 0.5, "slurp": 0.15}
    )
    goals_mean: float = 1.7  # mean goals per dialogue (1 + Poisson(goals_mean - 1), capped by max_goals)
    max_goals: int = 5  # hard cap on goals per dialogue
    max_attempts: int = 4  # most request turns a person spends on one goal before giving up
    favourite_intent_share: float = 0.45  # how often a goal comes from the person's own habitual intents
    preference_shaped_rate: float = 0.5  # how often a request that can lean on a preference does so
    sports_goal_rate: float = 0.06  # share of goals about the person's sports team (template intents)
    routine_rate: float = 0.15  # share of dialogues that are the person's routine after the alarm
    teach_rate: float = 0.05  # share of goals where the person states a preference ("I'm a Warriors fan")
    guided_qa_rate: float = 0.03  # share of goals where the person asks "learn my preferences"
    teach_after_preference_miss: float = 0.5  # P(person teaches the preference after a wrong implicit one)

    # --- habits (habits.py; the README says where these rates come from) --------------------------
    habits_per_person: int = 3  # recurring requests per person, on average (one more or less)
    habit_rate: float = 0.35  # share of a person's goals that are one of their recurring requests
    preferred_wording_rate: float = 0.85  # P(a recurring request comes in the person's usual words)
    accent_rate: float = 0.2  # share of people with a name the recogniser keeps mis-hearing
    accent_mishearing_rate: float = 0.6  # P(it mis-hears that name | that person says it)

    # --- the pipeline: each stage's error rate, conditional on the turn reaching that stage ------------
    false_wake_rate: float = 0.02  # P(a false wake precedes a goal); it sits between goals, in none
    asr_error_rate: float = 0.07  # P(ASR changes the words of a request turn)
    asr_recover_rate: float = 0.3  # P(an ASR error is a slip the NLU still reads right: labelled none)
    nlu_error_rate: float = 0.04  # P(NLU picks a wrong intent | ASR did not fail)
    entity_error_rate: float = 0.1  # P(a similar entity instead | reached resolution, entity said plainly)
    specific_entity_factor: float = 0.15  # multiplier on entity_error_rate when the person disambiguated
    result_error_rate: float = 0.03  # P(right reading, wrong or unhelpful answer | everything before right)
    unfulfillable_rate: float = 0.04  # P(nobody could do it; the assistant says so correctly: labelled none)
    # Which assistant: NLU and entity resolution read the same words the same way (assistant.py), and
    # this fixes which words those are. Keep it when simulating other people meeting the same assistant
    # (a rewriter learned from one run's logs is then replayed on another's).
    assistant_seed: int = 1

    # --- how people react to a failure (normalised to sum to 1) ----------------------------------
    reactions: dict[str, float] = field(
        default_factory=lambda: {"rephrase": 0.55, "repeat": 0.2, "negate": 0.1, "give_up": 0.15}
    )
    barge_in_rate: float = 0.25  # P(person interrupts a wrong answer)
    negative_feedback_rate: float = 0.2  # P(explicit thumbs-down on a failed turn)
    positive_feedback_rate: float = 0.04  # P(explicit thumbs-up on a successful turn)
    thanks_rate: float = 0.05  # P("thanks" after a success, a turn inside the same goal)

    # --- the log -----------------------------------------------------------------------------------
    screen_rate: float = 0.35  # share of people whose device has a screen
    locale: str = "en-US"  # every dialogue's locale (the pools are US English)
    start: str = "2024-03-01T06:00:00Z"  # the earliest dialogue start; each person's clock runs on from here

    def validate(self) -> None:
        """Raise ConfigError on any value generation cannot honour, naming the field."""
        if self.dialogues < 0:
            raise ConfigError("dialogues must be >= 0")
        if self.users < 1:
            raise ConfigError("users must be >= 1")
        if self.max_goals < 1 or self.max_attempts < 1:
            raise ConfigError("max_goals and max_attempts must be >= 1")
        if self.goals_mean < 1:
            raise ConfigError("goals_mean must be >= 1")
        if self.habits_per_person < 0:
            raise ConfigError("habits_per_person must be >= 0")
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith(("_rate", "_share", "_factor")) and not 0.0 <= value <= 1.0:
                raise ConfigError(f"{f.name} must be within [0, 1], got {value!r}")
        for name in ("corpus_weights", "reactions"):
            weights = getattr(self, name)
            if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
                raise ConfigError(f"{name} needs non-negative weights with a positive sum")
        unknown = set(self.corpus_weights) - {"snips", "hwu64", "slurp"}
        if unknown:
            raise ConfigError(f"corpus_weights: unknown corpora {sorted(unknown)}")
        unknown = set(self.reactions) - {"rephrase", "repeat", "negate", "give_up"}
        if unknown:
            raise ConfigError(f"reactions: unknown reactions {sorted(unknown)}")
        if not self.start.endswith("Z"):
            raise ConfigError("start must be an ISO 8601 UTC time ending in Z")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown config fields: {', '.join(unknown)}")
        config = cls(**data)
        config.validate()
        return config

    @classmethod
    def profile(cls, name: str, **overrides: Any) -> SimConfig:
        """The config of a named error-rate profile (``PROFILES``), with ``overrides`` on top."""
        if name not in PROFILES:
            raise ConfigError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
        return cls.from_dict({**PROFILES[name], **overrides})

    @classmethod
    def from_json(cls, path: str | Path) -> SimConfig:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"config {path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"config {path} must hold a JSON object")
        return cls.from_dict(data)
