"""Search words: synonyms and abbreviations (``catalogue_synonyms.json``) and pinyin initials.

A query word equal to a member of a synonym group (ignoring case) is searched as any member of
that group, so 电镜 finds 场发射扫描电子显微镜 and XRD finds X射线衍射仪. Short Latin
abbreviations (at most four ASCII characters) are query words only: as a searched-for substring
"sem" or "ms" would also hit ordinary words.

A word of Latin letters alone is also tried as the pinyin initials of instrument names
(``dzxwj`` -> 电子显微镜), computed with pypinyin and cached per name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache, lru_cache
from importlib.resources import files

from pypinyin import Style, lazy_pinyin

__all__ = [
    "expand_word",
    "initials",
    "looks_like_initials",
    "names_with_initials",
    "synonym_groups",
]

_SHORT_ABBREVIATION = re.compile(r"^[\x21-\x7e]{1,4}$")
_INITIALS = re.compile(r"^[a-z]{2,12}$")


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """The groups of the data file, as written there."""
    raw = json.loads(
        files("server.readmodels").joinpath("catalogue_synonyms.json").read_text("utf-8")
    )
    return tuple(tuple(str(word) for word in group) for group in raw["groups"])


@cache
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in synonym_groups():
        searched = {w.lower() for w in group if not _SHORT_ABBREVIATION.match(w)}
        for word in group:
            index.setdefault(word.lower(), set()).update(searched)
    return {word: frozenset(found) for word, found in index.items()}


def expand_word(word: str) -> list[str]:
    """The lower-cased substrings one query word is searched as: itself first, then synonyms."""
    lowered = word.lower()
    alternatives = [lowered]
    alternatives.extend(sorted(_index().get(lowered, frozenset()) - {lowered}))
    return alternatives


def looks_like_initials(word: str) -> bool:
    return bool(_INITIALS.match(word.lower()))


@lru_cache(maxsize=20_000)
def initials(name: str) -> str:
    """Pinyin initials of the Chinese characters in a name, other letters and digits kept
    (``X射线衍射仪`` -> ``xsxysy``)."""
    parts = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda text: text)
    return "".join(p for p in "".join(parts).lower() if p.isalnum())


def names_with_initials(word: str, names: Iterable[str]) -> list[str]:
    lowered = word.lower()
    return [name for name in names if lowered in initials(name)]
