"""server.security.passwords: the password policy and argon2id hashing with bcrypt legacy."""

import time
from collections.abc import Callable

import argon2
import bcrypt
import pytest
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from server.security.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PasswordHasher,
    password_problems,
)

FAST = {"time_cost": 1, "memory_cost_kib": 8192, "parallelism": 1}
GOOD_PASSWORD = "Tadawul-2222-Aramco"

TOO_SHORT = f"Password must be at least {MIN_PASSWORD_LENGTH} characters long."
TOO_LONG = f"Password must be at most {MAX_PASSWORD_LENGTH} characters long."
COMMON = "Password is one of the most commonly used passwords."
IS_EMAIL = "Password must not be your email address or its name part."
REPEATED = "Password must not be a single character repeated."


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher(**FAST)


# --- policy -------------------------------------------------------------------------------


def test_limits_are_the_documented_ones() -> None:
    assert (MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) == (12, 256)


def test_eleven_characters_refused_twelve_accepted() -> None:
    assert password_problems("Xk3#pL9vQ2m") == [TOO_SHORT]
    assert password_problems("Xk3#pL9vQ2mZ") == []


def test_length_limit_at_256() -> None:
    base = "Xk3#pL9vQ2mZ"
    assert password_problems((base * 22)[:256]) == []
    assert password_problems((base * 22)[:257]) == [TOO_LONG]
    assert password_problems("x" * 1_000_000) == [TOO_LONG]


@pytest.mark.parametrize("common", ["qwerty123456", "1qaz2wsx3edc", "leavemealone",
                                    "password1234"])
def test_common_passwords_from_the_zxcvbn_list_are_refused(common: str) -> None:
    assert common in FREQUENCY_LISTS["passwords"] and len(common) >= MIN_PASSWORD_LENGTH
    assert password_problems(common) == [COMMON]
    assert password_problems(common.upper()) == [COMMON]
    assert password_problems(common.title()) == [COMMON]


def test_a_password_outside_the_list_is_not_called_common() -> None:
    assert "tadawul-2222-aramco" not in FREQUENCY_LISTS["passwords"]
    assert password_problems(GOOD_PASSWORD) == []


def test_email_and_its_local_part_are_refused() -> None:
    email = "Ali.Alqahtani2024@Example.sa"
    assert password_problems("ali.alqahtani2024", email=email) == [IS_EMAIL]
    assert password_problems("ALI.ALQAHTANI2024@EXAMPLE.SA", email=email) == [IS_EMAIL]
    assert password_problems("ali.alqahtani2024", email="") == []
    assert password_problems("ali.alqahtani2024!", email=email) == []


def test_a_single_repeated_character_is_refused() -> None:
    assert password_problems("aaaaaaaaaaaa") == [REPEATED]
    assert password_problems("سسسسسسسسسسسس") == [REPEATED]
    assert password_problems("aaaaaaaaaaab") == []


def test_problems_accumulate() -> None:
    assert password_problems("zzzzz") == [TOO_SHORT, REPEATED]
    assert password_problems("", email="a@b.sa") == [TOO_SHORT]


def test_lengths_count_code_points_not_bytes() -> None:
    arabic_12 = "كلمةمرورقوية"
    assert len(arabic_12) == 12 and len(arabic_12.encode("utf-8")) == 24
    assert password_problems(arabic_12) == []
    assert password_problems(arabic_12[:11]) == [TOO_SHORT]
    emoji_11 = "🔒📈🕌🌴🐪☕🚀💹🏦🌙⭐"
    assert len(emoji_11) == 11 and len(emoji_11.encode("utf-8")) > 40
    assert password_problems(emoji_11) == [TOO_SHORT]
    assert password_problems(emoji_11 + "1") == []
    assert password_problems("ك" * 257) == [TOO_LONG]


# --- hashing ------------------------------------------------------------------------------


def test_round_trip(hasher: PasswordHasher) -> None:
    stored = hasher.hash(GOOD_PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert hasher.verify(GOOD_PASSWORD, stored) == (True, None)


def test_salts_differ(hasher: PasswordHasher) -> None:
    assert hasher.hash(GOOD_PASSWORD) != hasher.hash(GOOD_PASSWORD)


def test_default_parameters() -> None:
    stored = PasswordHasher().hash(GOOD_PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize("attempt", ["tadawul-2222-aramco", "Tadawul-2222-Aramco ", "", "x"])
def test_wrong_password(attempt: str, hasher: PasswordHasher) -> None:
    assert hasher.verify(attempt, hasher.hash(GOOD_PASSWORD)) == (False, None)


def test_unicode_round_trip(hasher: PasswordHasher) -> None:
    stored = hasher.hash("كلمةمرورقوية🔒")
    assert hasher.verify("كلمةمرورقوية🔒", stored) == (True, None)
    assert hasher.verify("كلمةمرورقوية", stored) == (False, None)


def test_bcrypt_legacy_hash_verifies_and_is_replaced(hasher: PasswordHasher) -> None:
    legacy = bcrypt.hashpw(GOOD_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    matches, replacement = hasher.verify(GOOD_PASSWORD, legacy)
    assert matches is True
    assert replacement is not None
    assert replacement.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert hasher.verify(GOOD_PASSWORD, replacement) == (True, None)
    assert hasher.verify("wrong password!", legacy) == (False, None)


def test_bcrypt_legacy_hash_of_a_long_password_checks_its_first_72_bytes(
        hasher: PasswordHasher) -> None:
    long_password = "نص طويل جدا " * 8  # 96 characters, 176 UTF-8 bytes
    # What a bcrypt < 5 system stored: it silently looked at the first 72 bytes only.
    legacy = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    matches, replacement = hasher.verify(long_password, legacy)
    assert matches is True and replacement is not None
    assert hasher.verify(long_password, replacement) == (True, None)
    # The replacement covers the whole password, not just the 72-byte prefix.
    assert hasher.verify(long_password[:40], replacement) == (False, None)


@pytest.mark.parametrize("stored", [
    "",
    "not-a-hash",
    "$argon2id$v=19$m=abc",
    "$argon2id$v=19$m=8192,t=1,p=1$$",
    "$argon2id$v=19$m=8192,t=1,p=1$phQC4FyLMUZIKSXkPCdkDA$8DBKuQKXBPIMaVbhMbPrg2C2x",
    "$2b$12$short",
    "$2b$04$" + "A" * 60,
    "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0",  # md5-crypt: a scheme we do not accept
    "$argon2id$" + "x" * 100_000,
], ids=lambda stored: repr(stored[:40]))
def test_malformed_stored_hash_is_a_mismatch(stored: str, hasher: PasswordHasher) -> None:
    assert hasher.verify(GOOD_PASSWORD, stored) == (False, None)


def test_nul_byte_against_bcrypt_is_a_mismatch(hasher: PasswordHasher) -> None:
    legacy = bcrypt.hashpw(b"abc", bcrypt.gensalt(rounds=4)).decode()
    assert hasher.verify("abc\x00def", legacy) == (False, None)


def test_over_long_password_is_refused_without_hashing(hasher: PasswordHasher) -> None:
    absurd = "Xk3#pL9vQ2mZ" * 30  # 360 characters: policy never accepted it
    assert hasher.verify(absurd, hasher.hash(absurd)) == (False, None)


def test_weaker_argon2_hash_gets_a_replacement() -> None:
    weak = PasswordHasher(**FAST)
    strong = PasswordHasher(time_cost=2, memory_cost_kib=16384, parallelism=2)
    matches, replacement = strong.verify(GOOD_PASSWORD, weak.hash(GOOD_PASSWORD))
    assert matches is True and replacement is not None
    assert replacement.startswith("$argon2id$v=19$m=16384,t=2,p=2$")
    assert strong.verify(GOOD_PASSWORD, replacement) == (True, None)
    # A hash stronger than the configuration is kept, never downgraded.
    assert weak.verify(GOOD_PASSWORD, replacement) == (True, None)


@pytest.mark.parametrize("weaker", [
    {"time_cost": 1, "memory_cost_kib": 16384, "parallelism": 2},
    {"time_cost": 2, "memory_cost_kib": 8192, "parallelism": 2},
    {"time_cost": 2, "memory_cost_kib": 16384, "parallelism": 1},
], ids=["time", "memory", "parallelism"])
def test_each_weaker_parameter_triggers_a_replacement(weaker: dict[str, int]) -> None:
    strong = PasswordHasher(time_cost=2, memory_cost_kib=16384, parallelism=2)
    matches, replacement = strong.verify(GOOD_PASSWORD,
                                         PasswordHasher(**weaker).hash(GOOD_PASSWORD))
    assert matches is True
    assert replacement is not None and "m=16384,t=2,p=2$" in replacement


def test_argon2i_hash_is_replaced_by_argon2id(hasher: PasswordHasher) -> None:
    argon2i = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1,
                                    type=argon2.Type.I).hash(GOOD_PASSWORD)
    assert argon2i.startswith("$argon2i$")
    matches, replacement = hasher.verify(GOOD_PASSWORD, argon2i)
    assert matches is True
    assert replacement is not None and replacement.startswith("$argon2id$")


def test_verify_dummy_costs_about_as_much_as_verify() -> None:
    hasher = PasswordHasher(time_cost=2, memory_cost_kib=32768, parallelism=1)
    stored = hasher.hash(GOOD_PASSWORD)

    def fastest(call: Callable[[], object]) -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            timings.append(time.perf_counter() - started)
        return min(timings)

    hasher.verify_dummy("an unknown user's guess")
    real = fastest(lambda: hasher.verify("wrong password!!", stored))
    dummy = fastest(lambda: hasher.verify_dummy("wrong password!!"))
    # Generous bounds: the point is that the dummy does real argon2 work, not microseconds.
    assert dummy > real * 0.5
    assert dummy < real * 2
