"""The unified social credit code check character (GB 32100-2015)."""

from __future__ import annotations

import pytest

from server.registration.credit_code import check_character, is_valid_credit_code

# The standard's character set (no I, O, Z, S, V) and its weights 3**i mod 31, written out here
# independently of the module under test.
CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
STANDARD_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def _by_hand(first17: str) -> str:
    total = sum(CHARS.index(c) * w for c, w in zip(first17, STANDARD_WEIGHTS, strict=True))
    return CHARS[(31 - total % 31) % 31]


# Real-format bodies: registration authority 9 (market regulation) / 5 (civil affairs) / 1
# (organisation), type, Zhejiang division codes (330100 Hangzhou, 330200 Ningbo, 330300 Wenzhou),
# nine-character organisation code.
BODIES = [
    "91330100MA27XK4L0",
    "91330106MA2H0B3R1",
    "91330200144069832",
    "52330300MJ9012345",
    "12330000470002571",
    "91350100M000100Y4",
]


@pytest.mark.parametrize("body", BODIES)
def test_check_character_follows_the_standards_weights(body: str) -> None:
    expected = _by_hand(body)
    assert check_character(body) == expected
    assert is_valid_credit_code(body + expected)
    assert is_valid_credit_code((body + expected).lower())  # typed in lower case


def test_the_published_sample_code_is_valid() -> None:
    # The sample printed with the standard's explanations.
    assert is_valid_credit_code("91350100M000100Y43")


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # seventeen characters
        "91350100M000100Y433",  # nineteen
        "91350100M0001O0Y43",  # letter O is not in the alphabet
        "913501A0M000100Y43",  # the division code is six digits
        "",
    ],
)
def test_bad_codes_are_refused(code: str) -> None:
    assert not is_valid_credit_code(code)


def test_every_single_character_typo_is_caught() -> None:
    code = "91330100MA27XK4L0" + _by_hand("91330100MA27XK4L0")
    for position in range(17):
        for replacement in CHARS:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            if typo[2:8].isdigit():
                assert not is_valid_credit_code(typo), typo
