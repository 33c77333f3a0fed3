"""People's habits: the few requests each person makes again and again, in their own words, and a name
the recogniser keeps mis-hearing from some of them.

Real people repeat themselves: the same morning playlist, the same team, the same contact, day after
day, mostly in the same words. Each person here has ``habits_per_person`` recurring requests (two to
four), drawn once from their routine and favourite intents with their slot values fixed ("play the
chill vibes playlist", "how did the rangers do"), each with a preferred wording. A goal is one of them
at ``habit_rate`` (the routine after the alarm always is, where the person has that habit), said in the
preferred wording at ``preferred_wording_rate`` and otherwise in another real wording of it.

Some people (``accent_rate``) say one name of their habits in a way the recogniser does not expect:
it hears the same wrong words for it ("beyonce" as "beyond say") at ``accent_mishearing_rate`` of
the times they say it, in any request. The rates and where they come from are in the README.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.asr import FUNCTION_WORDS, Asr
from simulator.catalogues import SLOT_KINDS
from simulator.config import SimConfig
from simulator.goals import Goal, GoalMaker
from simulator.people import User
from simulator.pools import Pools


@dataclass(frozen=True, slots=True)
class Accent:
    """A word of a name this person says, and what the recogniser hears when it gets it wrong."""

    word: str
    heard: tuple[str, ...]


@dataclass(slots=True)
class Habit:
    index: int  # the person's habit number, as the truth names it
    goal: Goal  # the request as first made: intent, preferred wording, slot values
    weight: float  # how often, relative to the person's other habits


@dataclass(slots=True)
class PersonHabits:
    habits: list[Habit] = field(default_factory=list)
    accent: Accent | None = None


class Habits:
    """Everybody's habits, drawn once when the people are made."""

    def __init__(
        self,
        config: SimConfig,
        pools: Pools,
        maker: GoalMaker,
        asr: Asr,
        users: list[User],
        rng: random.Random,
    ) -> None:
        self.config, self.pools = config, pools
        self.people: dict[str, PersonHabits] = {}
        for user in users:
            self.people[user.id] = self._draw(user, maker, asr, rng)

    def _draw(self, user: User, maker: GoalMaker, asr: Asr, rng: random.Random) -> PersonHabits:
        config = self.config
        if config.habits_per_person <= 0:
            return PersonHabits()
        intents = list(dict.fromkeys([*user.routine, *(intent for _, intent in user.favourite_intents)]))
        rng.shuffle(intents)
        count = max(1, config.habits_per_person - 1 + int(rng.random() * 3))  # around the mean, +-1
        person = PersonHabits()
        for rank, intent in enumerate(intents[:count]):
            goal = maker.request(user, rng, intent)
            # Zipf-like: the first habit is asked for twice as often as the second, and so on.
            person.habits.append(Habit(rank, goal, 1.0 / (rank + 1)))
        if person.habits and rng.random() < config.accent_rate:
            person.accent = _accent(person.habits, asr, rng)
        return person

    def of(self, user: User) -> PersonHabits:
        return self.people.get(user.id) or PersonHabits()

    def request(self, user: User, rng: random.Random, intent: str | None = None) -> Goal | None:
        """One of the person's habits, fresh for this dialogue: with ``intent`` (the routine) the habit
        of that intent if there is one; without, one of them at ``habit_rate``. None otherwise."""
        habits = self.of(user).habits
        if intent is not None:
            chosen = next((h for h in habits if h.goal.intent == intent), None)
        elif habits and rng.random() < self.config.habit_rate:
            total = sum(h.weight for h in habits)
            pick, chosen = rng.random() * total, habits[-1]
            for habit in habits:
                pick -= habit.weight
                if pick <= 0:
                    chosen = habit
                    break
        else:
            chosen = None
        if chosen is None:
            return None
        base = chosen.goal
        wording = base.wording
        if rng.random() >= self.config.preferred_wording_rate:
            options = self.pools.alternatives(wording)
            wording = options[int(rng.random() * len(options))]
        return Goal(
            "request",
            base.intent,
            wording,
            base.fills,
            implicit_kind=base.implicit_kind,
            implicit=base.implicit,
            implicit_text=base.implicit_text,
            unfulfillable=rng.random() < self.config.unfulfillable_rate,
            habit=chosen.index,
        )


def _accent(habits: list[Habit], asr: Asr, rng: random.Random) -> Accent | None:
    """A word of a name in the person's habits that the recogniser mis-hears one fixed way for them."""
    words = [
        word
        for habit in habits
        for slot_type, fills in habit.goal.fills.items()
        for fill in fills
        if fill.entity is not None or _names(slot_type)
        for word in fill.text.split()
        if word not in FUNCTION_WORDS and word.isalpha()
    ]
    options = [(word, asr.confusions(word)) for word in dict.fromkeys(words)]
    options = [(word, heard) for word, heard in options if heard]
    if not options:
        return None
    word, heard = options[int(rng.random() * len(options))]
    return Accent(word, tuple(heard[int(rng.random() * len(heard))].split()))


def _names(slot_type: str) -> bool:
    """Whether a slot of this type holds a name (a person, a place, a title), as accents catch."""
    return slot_type in SLOT_KINDS or slot_type.endswith("name") or slot_type in ("person", "relation")
