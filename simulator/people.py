"""People: stable preferences, habits, a device and a history, kept across their dialogues."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulator.catalogues import CUISINES, GENRES, Catalogues, Entity
from simulator.config import SimConfig
from simulator.pools import Pools

ROUTINE_INTENTS = ("weather_query", "news_query", "play_music", "calendar_query", "transport_traffic")
DEVICES = (("speaker", False), ("display", True), ("speaker_mini", False), ("tv", True))


@dataclass(slots=True)
class User:
    id: str
    team: Entity
    home_city: Entity
    cuisine: str
    genre: str
    favourite_intents: list[tuple[str, str]]  # (corpus, intent): what this person asks for most
    routine: list[str]  # intents asked in order right after the morning alarm
    device_type: str
    has_screen: bool
    volume: int
    clock: int  # epoch seconds: when this person's next dialogue may start
    activity: float  # relative share of dialogues: some people talk to their device far more
    sessions: int = 0  # dialogues so far: the history later features count on
    known: dict[str, str] = field(default_factory=dict)  # what the assistant has been taught: kind -> value

    def preferences(self) -> dict[str, str]:
        """The person's true preferences, as the preference features should recover them."""
        return {
            "favorite_team": self.team.value,
            "home_city": self.home_city.value,
            "cuisine": self.cuisine,
            "music_genre": self.genre,
        }


def make_users(
    rng: random.Random, config: SimConfig, catalogues: Catalogues, pools: Pools, start: int
) -> list[User]:
    corpora = sorted(config.corpus_weights)
    weights = [config.corpus_weights[c] for c in corpora]
    users: list[User] = []
    teams = catalogues.by_kind["team"]
    cities = catalogues.by_kind["city"]
    for k in range(config.users):
        favourites: list[tuple[str, str]] = []
        for _ in range(3):
            corpus = rng.choices(corpora, weights)[0]
            intents = pools.goal_intents[corpus]
            favourites.append((corpus, intents[int(rng.random() * len(intents))]))
        routine = [r for r in ROUTINE_INTENTS if r in pools.seeds or pools.implicit(r)]
        rng.shuffle(routine)
        device_type, has_screen = DEVICES[int(rng.random() * len(DEVICES))]
        if (rng.random() < config.screen_rate) != has_screen:
            # keep the configured screen share, whatever the device name drawn
            device_type, has_screen = ("display", True) if not has_screen else ("speaker", False)
        users.append(
            User(
                id=f"u{k + 1:04d}",
                team=teams[int(rng.random() * len(teams))],
                home_city=cities[int(rng.random() * len(cities))],
                cuisine=CUISINES[int(rng.random() * len(CUISINES))],
                genre=GENRES[int(rng.random() * len(GENRES))],
                favourite_intents=favourites,
                routine=routine[: 2 + int(rng.random() * 2)],
                device_type=device_type,
                has_screen=has_screen,
                volume=3 + int(rng.random() * 6),
                clock=start + int(rng.random() * 86400 * 3),
                activity=rng.paretovariate(1.5),
            )
        )
    return users
