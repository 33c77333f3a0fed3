"""Dataset names as people read them: two names that look the same are the same name.

A dataset's name is unique in its *key*: Unicode's NFKC_Casefold form (NFKC, case-folded, NFKC
again: "Alpha", "ALPHA" and the full-width "\uff21lpha" are one name), without the characters that
show nothing (zero-width spaces and joiners, bidi controls, variation selectors: "alpha\\u200b" is
"alpha"), with runs of spaces as one. A new name may not contain such invisible characters at all,
nor mix Latin, Greek and Cyrillic letters ("alpha" with a Cyrillic "\u0430"), the scripts whose letters
look alike; the scripts of each letter come from confusable_homoglyphs' Unicode data. A name in one
script is fine, whatever it is ("логи", "データ"). Plain functions, no Django.
"""

from __future__ import annotations

import re
import unicodedata

from confusable_homoglyphs import categories

# General categories that show nothing: format (Cf: zero-width space and joiners, bidi controls,
# soft hyphen), control (Cc), surrogates, private use, unassigned, line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
# Default-ignorable characters of other categories (Unicode's DerivedCoreProperties): the combining
# grapheme joiner, Hangul and Khmer fillers, Mongolian and other variation selectors.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFFA0, 0xFFA0),
    (0xE0100, 0xE01EF),
)
_LOOK_ALIKE_SCRIPTS = frozenset({"LATIN", "GREEK", "CYRILLIC"})
_SPACES = re.compile(r"\s+")


def is_invisible(char: str) -> bool:
    if unicodedata.category(char) in _INVISIBLE_CATEGORIES:
        return True
    code = ord(char)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def dataset_name_key(name: str) -> str:
    """The form in which dataset names are unique."""
    visible = "".join(char for char in unicodedata.normalize("NFKC", name) if not is_invisible(char))
    folded = unicodedata.normalize("NFKC", visible.casefold())
    return _SPACES.sub(" ", folded).strip()


def dataset_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new dataset for its look (None if it can)."""
    hidden = next((char for char in name if is_invisible(char)), None)
    if hidden is not None:
        return f"A dataset name may not contain invisible characters (U+{ord(hidden):04X})."
    scripts = {
        categories.alias(char) for char in name if unicodedata.category(char).startswith("L")
    } & _LOOK_ALIKE_SCRIPTS
    if len(scripts) > 1:
        return (
            "A dataset name may not mix "
            + " and ".join(script.title() for script in sorted(scripts))
            + " letters, which look alike; write it in one script."
        )
    return None
