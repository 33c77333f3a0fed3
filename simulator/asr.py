"""Word-level ASR confusions: near-homophones, dropped and inserted words.

Two kinds of error, because they end differently: a *slip* touches only words the NLU can do without
(a filler inserted, "to" heard as "two", a dropped "the") and the turn still succeeds, so it is labelled
`none`; a *corruption* changes a word that carries meaning (a slot value, the verb) and the assistant acts
on the mis-heard text, so it is labelled `asr`.
"""

from __future__ import annotations

import random

# Pairs heard for each other; both directions are used.
HOMOPHONES: tuple[tuple[str, str], ...] = (
    ("to", "two"),
    ("for", "four"),
    ("right", "write"),
    ("there", "their"),
    ("weather", "whether"),
    ("play", "pray"),
    ("rain", "reign"),
    ("set", "said"),
    ("hi", "high"),
    ("hour", "our"),
    ("know", "no"),
    ("new", "knew"),
    ("see", "sea"),
    ("son", "sun"),
    ("meet", "meat"),
    ("week", "weak"),
    ("by", "buy"),
    ("mail", "male"),
    ("sail", "sale"),
    ("tail", "tale"),
    ("lights", "likes"),
    ("light", "like"),
    ("alarm", "a line"),
    ("turn", "learn"),
    ("off", "of"),
    ("on", "and"),
    ("news", "noose"),
    ("music", "muse it"),
    ("remind", "remained"),
    ("call", "cool"),
    ("email", "e mail"),
    ("tomorrow", "to borrow"),
    ("today", "to day"),
    ("tonight", "to night"),
    ("volume", "value"),
    ("cancel", "council"),
    ("add", "ad"),
    ("book", "look"),
    ("list", "lift"),
    ("song", "someone"),
    ("purple", "people"),
    ("haze", "hays"),
    ("hello", "hollow"),
    ("crazy", "gracie"),
    ("creep", "crepe"),
    ("hurt", "heard"),
    ("dune", "june"),
    ("frozen", "chosen"),
    ("john", "jon"),
    ("mike", "bike"),
    ("sarah", "sierra"),
    ("anna", "ana"),
    ("lamp", "lamb"),
    ("plug", "pug"),
    ("springfield", "spring field"),
    ("portland", "poland"),
    ("austin", "boston"),
    ("paris", "harris"),
    ("jackson", "jason"),
    ("salem", "solemn"),
    ("warriors", "worriers"),
    ("giants", "chiants"),
    ("kings", "keys"),
    ("jets", "gets"),
    ("bulls", "bowls"),
    ("jazz", "chess"),
    ("rock", "rack"),
    ("pop", "pup"),
    ("country", "county"),
    ("coffee", "copy"),
    ("timer", "time or"),
    ("what's", "what"),
    ("the", "a"),
    ("a", "uh"),
    ("in", "and"),
    ("me", "be"),
    ("my", "by"),
)
FILLERS: tuple[str, ...] = ("uh", "um", "the", "a", "so", "and", "oh")
# Words the NLU does not need: changing one of them is a slip, not an error.
FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "in",
        "on",
        "at",
        "is",
        "are",
        "be",
        "by",
        "my",
        "me",
        "i",
        "you",
        "it",
        "that",
        "this",
        "and",
        "or",
        "so",
        "uh",
        "um",
        "please",
        "can",
        "could",
        "would",
        "will",
        "do",
        "does",
        "what's",
    ]
)
_SOUNDEX = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556", "aeiouyhw'")


def phonetic_key(word: str) -> str:
    """Soundex-like key: first letter and the consonant classes, vowels dropped, runs collapsed."""
    if not word:
        return ""
    digits = word[1:].translate(_SOUNDEX)
    out = [word[0]]
    last = ""
    for d in digits:
        if d != last and d.isdigit():
            out.append(d)
        last = d
    return "".join(out[:4])


class Asr:
    """Confusion tables built once from the pools' vocabulary; lookups are cached per word."""

    def __init__(self, vocabulary: list[str]) -> None:
        self.table: dict[str, list[str]] = {}
        for a, b in HOMOPHONES:
            self.table.setdefault(a, []).append(b)
            self.table.setdefault(b, []).append(a)
        self.by_key: dict[str, list[str]] = {}
        for word in vocabulary:  # sorted by the caller, so buckets are in a fixed order
            if word.isalpha() and len(word) > 2:
                self.by_key.setdefault(phonetic_key(word), []).append(word)
        self._cache: dict[str, list[str]] = {}

    def confusions(self, word: str) -> list[str]:
        """Words this one may be heard as: the hand table first, else same-sounding vocabulary words."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        found = list(self.table.get(word, ()))
        if not found:
            found = [
                w
                for w in self.by_key.get(phonetic_key(word), ())
                if w != word and abs(len(w) - len(word)) <= 2
            ]
        self._cache[word] = found
        return found

    def slip(self, tokens: list[str], tags: list[int], rng: random.Random) -> None:
        """Change, in place, a word the NLU can do without: a filler in, a function word swapped or out."""
        n = len(tokens)
        op = rng.random()
        candidates = (
            [i for i in range(n) if tags[i] < 0 and tokens[i] in FUNCTION_WORDS] if op >= 0.45 else []
        )
        if candidates:
            i = candidates[int(rng.random() * len(candidates))]
            heard = [w for w in self.table.get(tokens[i], ()) if " " not in w]
            if op < 0.75 and heard:
                tokens[i] = heard[int(rng.random() * len(heard))]
                return
            if n > 2:
                del tokens[i]
                del tags[i]
                return
        # Insert a filler at a slot boundary or outside slots, never inside a slot value.
        spots = [p for p in range(n + 1) if p in (0, n) or tags[p - 1] < 0 or tags[p - 1] != tags[p]]
        p = spots[int(rng.random() * len(spots))]
        tokens.insert(p, FILLERS[int(rng.random() * len(FILLERS))])
        tags.insert(p, -1)

    def corrupt(self, tokens: list[str], tags: list[int], rng: random.Random, slot: int) -> bool:
        """Change a word that carries meaning, in place: a word of slot `slot`, or (-1) a content word."""
        if slot >= 0:
            candidates = [
                i for i in range(len(tokens)) if tags[i] == slot and tokens[i] not in FUNCTION_WORDS
            ]
        else:
            candidates = [i for i in range(len(tokens)) if tags[i] < 0 and tokens[i] not in FUNCTION_WORDS]
        if not candidates:
            return False
        i = candidates[int(rng.random() * len(candidates))]
        heard = self.confusions(tokens[i])
        if heard:
            words = heard[int(rng.random() * len(heard))].split()
            tokens[i : i + 1] = words
            tags[i : i + 1] = [tags[i]] * len(words)
        elif len(tokens) > 1 and not (slot >= 0 and tags.count(slot) == 1):
            del tokens[i]
            del tags[i]
        elif len(tokens[i]) > 2:
            # Nothing sounds like it: the recogniser clips the word, as it does on a cut-off start.
            tokens[i] = tokens[i][: len(tokens[i]) // 2]
        else:
            return False
        if slot < 0 and rng.random() < 0.3 and len(candidates) > 1:
            # Noisy audio rarely costs one word only.
            j = candidates[int(rng.random() * len(candidates))]
            if j < len(tokens) and tags[j] < 0:
                tokens.insert(j, FILLERS[int(rng.random() * len(FILLERS))])
                tags.insert(j, -1)
        return True
