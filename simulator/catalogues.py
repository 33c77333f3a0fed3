"""Entity catalogues: what slot values are swapped for, and which entities can be mistaken for which.

Every entity that can be resolved wrongly sits in a group of similar entities: the same spoken name
for different things (Springfield in Illinois and in Missouri, "hello" by Adele and by Lionel Richie) or
names close enough to confuse ("purple rain", "purple haze"). The entity stage fails by picking another
member of the group; a person disambiguates by saying the entity's `specific` form.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # catalogue name: "city", "song", "team"...
    spoken: str  # how people usually say it: "springfield"
    specific: str  # how they say it to leave no doubt: "springfield missouri"
    value: str  # the resolved value the assistant logs: "Springfield, MO"
    group: int  # entities of one group are confusable with each other (index into Catalogues.groups)
    tag: str = ""  # a facet preferences pick by: the genre of an artist or song, a city's state


# Each line: spoken | specific | value | tag ; groups are separated by blank lines.
_RAW: dict[str, str] = {
    "city": """
springfield|springfield illinois|Springfield, IL|IL
springfield|springfield missouri|Springfield, MO|MO
springfield|springfield massachusetts|Springfield, MA|MA

wilkerson|wilkerson kentucky|Wilkerson, KY|KY
wilkerson|wilkerson ohio|Wilkerson, OH|OH

portland|portland oregon|Portland, OR|OR
portland|portland maine|Portland, ME|ME

columbus|columbus ohio|Columbus, OH|OH
columbus|columbus georgia|Columbus, GA|GA

paris|paris france|Paris, France|FR
paris|paris texas|Paris, TX|TX

kansas city|kansas city missouri|Kansas City, MO|MO
kansas city|kansas city kansas|Kansas City, KS|KS

jackson|jackson mississippi|Jackson, MS|MS
jackson|jackson tennessee|Jackson, TN|TN

richmond|richmond virginia|Richmond, VA|VA
richmond|richmond california|Richmond, CA|CA

arlington|arlington texas|Arlington, TX|TX
arlington|arlington virginia|Arlington, VA|VA

austin|austin texas|Austin, TX|TX
boston|boston massachusetts|Boston, MA|MA

seattle|seattle washington|Seattle, WA|WA
salem|salem oregon|Salem, OR|OR
salem|salem massachusetts|Salem, MA|MA

oakland|oakland california|Oakland, CA|CA
auckland|auckland new zealand|Auckland, NZ|NZ
""",
    "team": """
the warriors|the golden state warriors|Golden State Warriors|NBA
the wizards|the washington wizards|Washington Wizards|NBA

the giants|the san francisco giants|San Francisco Giants|MLB
the giants|the new york giants|New York Giants|NFL

the rangers|the texas rangers|Texas Rangers|MLB
the rangers|the new york rangers|New York Rangers|NHL

the cardinals|the saint louis cardinals|St. Louis Cardinals|MLB
the cardinals|the arizona cardinals|Arizona Cardinals|NFL

the kings|the sacramento kings|Sacramento Kings|NBA
the kings|the los angeles kings|Los Angeles Kings|NHL

the jets|the new york jets|New York Jets|NFL
the jets|the winnipeg jets|Winnipeg Jets|NHL

the red sox|the boston red sox|Boston Red Sox|MLB
the white sox|the chicago white sox|Chicago White Sox|MLB

the bulls|the chicago bulls|Chicago Bulls|NBA
the bills|the buffalo bills|Buffalo Bills|NFL
""",
    "song": """
hello|hello by adele|Hello (Adele)|pop
hello|hello by lionel richie|Hello (Lionel Richie)|soul

purple rain|purple rain by prince|Purple Rain (Prince)|rock
purple haze|purple haze by jimi hendrix|Purple Haze (Jimi Hendrix)|rock

hurt|hurt by johnny cash|Hurt (Johnny Cash)|country
hurt|hurt by nine inch nails|Hurt (Nine Inch Nails)|rock

crazy|crazy by gnarls barkley|Crazy (Gnarls Barkley)|soul
crazy|crazy by patsy cline|Crazy (Patsy Cline)|country

creep|creep by radiohead|Creep (Radiohead)|rock
creep|creep by tlc|Creep (TLC)|hip hop

let it be|let it be by the beatles|Let It Be (The Beatles)|rock
let it go|let it go from frozen|Let It Go (Idina Menzel)|pop

so what|so what by miles davis|So What (Miles Davis)|jazz
so what|so what by pink|So What (P!nk)|pop

blinding lights|blinding lights by the weeknd|Blinding Lights (The Weeknd)|pop
blinded by the light|blinded by the light by manfred mann|Blinded by the Light (Manfred Mann)|rock

take five|take five by dave brubeck|Take Five (Dave Brubeck)|jazz
take me home|take me home country roads|Take Me Home, Country Roads (John Denver)|country
""",
    "artist": """
prince|prince the singer|Prince|rock
prince royce|prince royce the bachata singer|Prince Royce|latin

queen|the band queen|Queen|rock
queen latifah|queen latifah the rapper|Queen Latifah|hip hop

nirvana|nirvana the grunge band|Nirvana|rock
nirvana|nirvana the sixties band|Nirvana (UK)|rock

miles davis|miles davis the trumpeter|Miles Davis|jazz
miles kane|miles kane the songwriter|Miles Kane|indie

john denver|john denver the singer|John Denver|country
john legend|john legend the singer|John Legend|soul

kendrick lamar|kendrick lamar the rapper|Kendrick Lamar|hip hop
kendrick scott|kendrick scott the drummer|Kendrick Scott|jazz

taylor swift|taylor swift the singer|Taylor Swift|pop
taylor dayne|taylor dayne the singer|Taylor Dayne|pop

bach|johann sebastian bach|Johann Sebastian Bach|classical
bach|carl philipp emanuel bach|C. P. E. Bach|classical
""",
    "restaurant": """
golden dragon|the golden dragon on main street|Golden Dragon (Main St)|chinese
golden dragon|the golden dragon downtown|Golden Dragon (Downtown)|chinese

luigi's|luigi's trattoria on fifth|Luigi's Trattoria|italian
luigi's|luigi's pizza by the station|Luigi's Pizza|italian

sakura|sakura sushi bar|Sakura Sushi Bar|japanese
sakura|sakura ramen house|Sakura Ramen House|japanese

taj mahal|the taj mahal on elm street|Taj Mahal (Elm St)|indian
taj palace|the taj palace on oak avenue|Taj Palace|indian

el farolito|el farolito on mission|El Farolito (Mission)|mexican
el faro|el faro taqueria|El Faro Taqueria|mexican

bangkok garden|bangkok garden on pine|Bangkok Garden|thai
bangkok grill|bangkok grill near the mall|Bangkok Grill|thai
""",
    "contact": """
john|john smith|John Smith|
john|john park|John Park|

sarah|sarah lee|Sarah Lee|
sara|sara miller|Sara Miller|

mike|mike jones|Mike Jones|
mike|mike chen|Mike Chen|

mom|my mom|Mom|
tom|tom baker|Tom Baker|

anna|anna garcia|Anna Garcia|
hannah|hannah white|Hannah White|
""",
    "device": """
lamp|bedroom lamp|Bedroom lamp|
lamp|desk lamp|Desk lamp|

speaker|kitchen speaker|Kitchen speaker|
speaker|living room speaker|Living room speaker|

tv|living room tv|Living room TV|
tv|bedroom tv|Bedroom TV|

plug|coffee machine plug|Coffee machine plug|
plug|heater plug|Heater plug|

fan|ceiling fan|Ceiling fan|
fan heater|fan heater in the hall|Fan heater|
""",
    "movie": """
dune|dune from twenty twenty one|Dune (2021)|
dune|dune from nineteen eighty four|Dune (1984)|

the lion king|the new lion king|The Lion King (2019)|
the lion king|the animated lion king|The Lion King (1994)|

little women|little women from twenty nineteen|Little Women (2019)|
little women|little women from nineteen ninety four|Little Women (1994)|

frozen|the first frozen|Frozen (2013)|
frozen two|frozen part two|Frozen II (2019)|

the batman|the batman with robert pattinson|The Batman (2022)|
batman|batman from eighty nine|Batman (1989)|
""",
    "audiobook": """
the hobbit|the hobbit read by andy serkis|The Hobbit (Andy Serkis)|
the hobbit|the hobbit read by rob inglis|The Hobbit (Rob Inglis)|

dune|the dune audiobook|Dune (audiobook)|
dune messiah|dune messiah the audiobook|Dune Messiah (audiobook)|

becoming|becoming by michelle obama|Becoming (Michelle Obama)|
becoming supernatural|becoming supernatural by joe dispenza|Becoming Supernatural (Joe Dispenza)|
""",
    "podcast": """
the daily|the daily from the new york times|The Daily (NYT)|
the daily show|the daily show podcast|The Daily Show: Ears Edition|

serial|the serial podcast|Serial|
serial killers|the serial killers podcast|Serial Killers|

radiolab|the radiolab podcast|Radiolab|
radio lab kids|the radio lab for kids podcast|Radio Lab Kids|
""",
    "radio": """
kiss fm|kiss fm chicago|KISS FM 103.5 Chicago|
kiss fm|kiss fm los angeles|KIIS FM 102.7 Los Angeles|

npr|npr news|NPR News|
npr music|npr music radio|NPR Music|

z one hundred|z one hundred new york|Z100 New York|
b one hundred|b one hundred san diego|B100 San Diego|
""",
    "playlist": """
chill vibes|my chill vibes playlist|Chill Vibes|
chill hits|the chill hits playlist|Chill Hits|

workout|my workout playlist|Workout|
workout mix|the workout mix playlist|Workout Mix|

road trip|my road trip playlist|Road Trip|
road trip classics|the road trip classics playlist|Road Trip Classics|
""",
}

# Catalogues used only to swap values in (no entity stage: nobody mistakes "jazz" for "rock").
GENRES = ("jazz", "rock", "pop", "hip hop", "country", "classical", "soul", "indie", "latin")
CUISINES = ("italian", "chinese", "japanese", "indian", "mexican", "thai", "greek", "korean")
DISHES = ("pizza", "sushi", "pad thai", "tacos", "curry", "ramen", "burgers", "dumplings")


class Catalogues:
    """All entities, by kind and by group, in a fixed order (no set or hash order anywhere)."""

    def __init__(self) -> None:
        self.by_kind: dict[str, list[Entity]] = {}
        self.groups: list[list[Entity]] = []
        for kind, raw in _RAW.items():
            entities: list[Entity] = []
            for block in raw.strip().split("\n\n"):
                group_id = len(self.groups)
                group: list[Entity] = []
                for line in block.strip().splitlines():
                    spoken, specific, value, tag = (part.strip() for part in line.split("|"))
                    group.append(Entity(kind, spoken, specific, value, group_id, tag))
                self.groups.append(group)
                entities.extend(group)
            self.by_kind[kind] = entities
        self.by_tag: dict[tuple[str, str], list[Entity]] = {}
        for kind, entities in self.by_kind.items():
            for e in entities:
                self.by_tag.setdefault((kind, e.tag), []).append(e)

    def confusable(self, entity: Entity) -> list[Entity]:
        """Entities the resolver could pick instead of `entity`: the rest of its group."""
        return [e for e in self.groups[entity.group] if e is not entity]

    def is_ambiguous(self, entity: Entity) -> bool:
        """Another entity answers to the same spoken name, so the plain name alone cannot decide."""
        return any(e.spoken == entity.spoken for e in self.confusable(entity))


# Which slot types (corpora.py's one vocabulary) are filled from which catalogue. `place_name` is a city
# only where the intent is about a place on a map (weather, travel, a restaurant's town), not for "the
# office".
SLOT_KINDS: dict[str, str] = {
    "cuisine": "cuisine",
    "movie_name": "movie",
    "artist_name": "artist",
    "song_name": "song",
    "playlist_name": "playlist",
    "person": "contact",
    "device_type": "device",
    "music_genre": "genre",
    "audiobook_name": "audiobook",
    "podcast_name": "podcast",
    "radio_name": "radio",
    "food_type": "dish",
    "place_name": "city",
    "business_name": "restaurant",
}
PLACE_SCENARIOS = ("weather", "transport", "restaurant")
BUSINESS_SCENARIOS = ("takeaway", "restaurant")
CONTACT_SCENARIOS = ("email", "social", "calendar")
DEVICE_INTENTS = ("iot_wemo_on", "iot_wemo_off")
# SLURP and HWU64 label "hey siri", "alexa" etc. nowhere; `person` in qa_factoid is a celebrity.


def slot_kind(slot_type: str, intent: str) -> str | None:
    """The catalogue a slot of this type in this intent is swapped from, or None to keep it."""
    kind = SLOT_KINDS.get(slot_type)
    if kind is None:
        return None
    scenario = intent.partition("_")[0]
    if slot_type == "place_name" and scenario not in PLACE_SCENARIOS:
        return None
    if slot_type == "business_name" and scenario not in BUSINESS_SCENARIOS:
        return None
    if slot_type == "person" and scenario not in CONTACT_SCENARIOS:
        return None
    if slot_type == "device_type" and intent not in DEVICE_INTENTS:
        return None
    return kind


SWAP_ONLY = {"genre": GENRES, "cuisine": CUISINES, "dish": DISHES}
