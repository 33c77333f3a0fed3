"""Goals: what a person wants from one stretch of a dialogue, with its slot values fixed once.

Preferences shape the goal here: a person asks about their own team, their home city's weather and
their favourite music more often than anything else, and sometimes leaves it implicit ("play the game",
"what's the weather"), which is when the assistant has to know them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.catalogues import SWAP_ONLY, Catalogues, Entity
from simulator.config import SimConfig
from simulator.people import User
from simulator.pools import Fill, Pools, Wording
from simulator.templates import TEMPLATE_SLOT_TYPES

# Intents whose slot-free wordings lean on a preference, and which one.
IMPLICIT_KIND = {
    "weather_query": "city",
    "sports_query": "team",
    "sports_watch": "team",
    "play_music": "genre",
}
STATE_NAMES = {
    "IL": "illinois",
    "MO": "missouri",
    "MA": "massachusetts",
    "KY": "kentucky",
    "OH": "ohio",
    "OR": "oregon",
    "ME": "maine",
    "GA": "georgia",
    "FR": "france",
    "TX": "texas",
    "KS": "kansas",
    "MS": "mississippi",
    "TN": "tennessee",
    "VA": "virginia",
    "CA": "california",
    "WA": "washington",
    "NZ": "new zealand",
}
# Each preference a person has, by kind, and where FORMAT.md's `preferences` labels put it: (domain,
# key). The one place they are named: code that reads simulated preferences imports it from here.
PREFERENCE_KEYS: dict[str, tuple[str, str]] = {
    "team": ("sports", "team"),
    "city": ("weather", "city"),
    "cuisine": ("food", "cuisine"),
    "genre": ("music", "genre"),
}
PREFERENCE_KINDS = tuple(PREFERENCE_KEYS)


@dataclass(slots=True)
class Goal:
    kind: str  # "request", "teach" (state a preference) or "learn" (guided questions)
    intent: str
    wording: Wording
    fills: dict[str, list[Fill]] = field(default_factory=dict)
    implicit_kind: str = ""  # "city", "team" or "genre" when the wording leaves it to preferences
    implicit: Entity | None = None  # the entity meant, for city and team
    implicit_text: str = ""  # its display value (the genre, or the entity's value)
    unfulfillable: bool = False
    teach_kind: str = ""  # for teach goals
    questions: tuple[str, ...] = ()  # for learn goals
    habit: int | None = None  # which of the person's recurring requests this is (habits.py)


class GoalMaker:
    def __init__(self, config: SimConfig, pools: Pools, catalogues: Catalogues) -> None:
        self.config = config
        self.pools = pools
        self.catalogues = catalogues
        self.corpora = sorted(config.corpus_weights)
        total = sum(config.corpus_weights.values())
        acc, self.corpus_cum = 0.0, []
        for c in self.corpora:
            acc += config.corpus_weights[c] / total
            self.corpus_cum.append(acc)

    def pick_entity(self, kind: str, user: User, rng: random.Random) -> Entity:
        cat = self.catalogues
        leaning = rng.random() < self.config.preference_shaped_rate
        if kind == "city" and leaning:
            return user.home_city
        if kind == "team" and leaning:
            return user.team
        pool = cat.by_kind[kind]
        if leaning and kind in ("song", "artist", "restaurant"):
            tag = user.genre if kind != "restaurant" else user.cuisine
            pool = cat.by_tag.get((kind, tag)) or pool
        return pool[int(rng.random() * len(pool))]

    def fills_for(self, wording: Wording, user: User, rng: random.Random) -> dict[str, list[Fill]]:
        fills: dict[str, list[Fill]] = {}
        song: Entity | None = None
        city: Fill | None = None
        slots = zip(wording.slot_types, wording.slot_kinds, wording.originals, strict=True)
        for slot_type, kind, original in slots:
            if kind is None:
                fill = Fill(original, original)
            elif kind in SWAP_ONLY:
                options = SWAP_ONLY[kind]
                if kind == "genre" and rng.random() < self.config.preference_shaped_rate:
                    text = user.genre
                elif kind == "cuisine" and rng.random() < self.config.preference_shaped_rate:
                    text = user.cuisine
                else:
                    text = options[int(rng.random() * len(options))]
                fill = Fill(text, text)
            else:
                entity = self.pick_entity(kind, user, rng)
                # Some people say the unambiguous form from the start.
                specific = rng.random() < 0.1
                fill = Fill(entity.specific if specific else entity.spoken, entity.value, entity, specific)
                if kind == "song":
                    song = entity
                if kind == "city":
                    city = fill
            fills.setdefault(slot_type, []).append(fill)
        # Keep co-occurring slots consistent: the song's own artist, the city's own state.
        if song is not None and "artist_name" in fills:
            name = song.value[song.value.index("(") + 1 : -1]
            fills["artist_name"] = [Fill(name.lower(), name) for _ in fills["artist_name"]]
        if city is not None and city.entity is not None and "state" in fills:
            state = STATE_NAMES.get(city.entity.tag, city.entity.tag.lower())
            fills["state"] = [Fill(state, state) for _ in fills["state"]]
            city.specific = True
        return fills

    def request(self, user: User, rng: random.Random, intent: str | None = None) -> Goal:
        """A request goal: a seed wording from the pools, its slots filled, preferences leaning in."""
        pools, config = self.pools, self.config
        if intent is None:
            r = rng.random()
            if r < config.sports_goal_rate:
                intent = "sports_query" if rng.random() < 0.7 else "sports_watch"
                seeds = pools.seeds[intent]
            elif rng.random() < config.favourite_intent_share:
                corpus, intent = user.favourite_intents[int(rng.random() * len(user.favourite_intents))]
                seeds = pools.corpus_seeds[corpus][intent]
            else:
                x = rng.random()
                corpus = self.corpora[-1]
                for name, edge in zip(self.corpora, self.corpus_cum, strict=True):
                    if x < edge:
                        corpus = name
                        break
                intents = pools.goal_intents[corpus]
                intent = intents[int(rng.random() * len(intents))]
                seeds = pools.corpus_seeds[corpus][intent]
        else:
            seeds = pools.seeds.get(intent) or pools.implicit(intent)
        implicit_kind = IMPLICIT_KIND.get(intent, "")
        implicit_wordings = pools.implicit(intent) if implicit_kind else []
        if implicit_wordings and rng.random() < config.preference_shaped_rate:
            wording = implicit_wordings[int(rng.random() * len(implicit_wordings))]
        else:
            wording = seeds[int(rng.random() * len(seeds))]
        if implicit_kind and not wording.slot_types:
            # "what's the weather", "put the game on": the person's preference fills the gap.
            goal = Goal("request", intent, wording, implicit_kind=implicit_kind)
            if implicit_kind == "city":
                goal.implicit, goal.implicit_text = user.home_city, user.home_city.value
            elif implicit_kind == "team":
                goal.implicit, goal.implicit_text = user.team, user.team.value
            else:
                goal.implicit_text = user.genre
        else:
            goal = Goal("request", intent, wording, self.fills_for(wording, user, rng))
        goal.unfulfillable = rng.random() < config.unfulfillable_rate
        return goal

    def teach(self, user: User, rng: random.Random, kind: str = "") -> Goal:
        """The person states a preference: "i'm a fan of the golden state warriors"."""
        kind = kind or PREFERENCE_KINDS[int(rng.random() * len(PREFERENCE_KINDS))]
        options = [
            w
            for w in self.pools.by_intent_sig["preference_teach"].get((TEMPLATE_SLOT_TYPES[kind],), [])
            if w.slot_kinds[0] == kind
        ]
        wording = options[int(rng.random() * len(options))]
        goal = Goal(
            "teach",
            "preference_teach",
            wording,
            {wording.slot_types[0]: [preference_fill(user, kind)]},
            teach_kind=kind,
        )
        return goal

    def learn(self, user: User, rng: random.Random) -> Goal:
        """ "learn my preferences", then a short guided question-and-answer."""
        options = self.pools.implicit("preference_learn")
        kinds = list(PREFERENCE_KINDS)
        rng.shuffle(kinds)
        return Goal(
            "learn",
            "preference_learn",
            options[int(rng.random() * len(options))],
            questions=tuple(kinds[: 2 + int(rng.random() * 2)]),
        )


def preference_fill(user: User, kind: str) -> Fill:
    """The person's own value for a preference, said without ambiguity."""
    if kind == "team":
        return Fill(user.team.specific, user.team.value, user.team, True)
    if kind == "city":
        return Fill(user.home_city.specific, user.home_city.value, user.home_city, True)
    text = user.cuisine if kind == "cuisine" else user.genre
    return Fill(text, text)
