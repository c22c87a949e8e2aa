"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

Eighteen characters from 0-9 and the capitals without I, O, Z, S, V: registration authority
(1), organisation type (1), administrative division (6 digits), organisation code (9), and a
check character. Each of the first seventeen characters has a value (its index in
``ALPHABET``) and a weight (3**i mod 31); the check character's value is
``31 - (sum of value x weight) mod 31``, with 31 written as 0.

The web app applies the same rule (web/src/features/registration/creditCode.ts).
"""

from __future__ import annotations

__all__ = ["ALPHABET", "WEIGHTS", "check_character", "is_valid_credit_code", "normalise"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise(code: str) -> str:
    return code.strip().upper()


def check_character(first17: str) -> str:
    """The check character for the first seventeen characters (``ValueError`` if not valid)."""
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError("seventeen characters of the code's alphabet expected")
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = normalise(code)
    if len(code) != 18 or any(c not in ALPHABET for c in code) or not code[2:8].isdigit():
        return False
    return check_character(code[:17]) == code[17]
