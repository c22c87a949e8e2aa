"""Password hashing (argon2), access tokens (JWT HS256) and Mosquitto password hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "MOSQUITTO_PBKDF2_ITERATIONS",
    "AccessToken",
    "InvalidToken",
    "create_access_token",
    "decode_access_token",
    "hash_password",
    "mosquitto_password_hash",
    "nats_password_hash",
    "new_gateway_secret",
    "password_needs_rehash",
    "set_password_hasher",
    "verify_mosquitto_password",
    "verify_password",
]

# argon2id with RFC 9106's second recommended parameter set (3 passes over 64 MiB).
_hasher = PasswordHasher()
# A real hash to verify against when the user does not exist, so both cases cost the same.
_DUMMY_HASH = _hasher.hash("labshare-no-such-user")

JWT_ALGORITHM = "HS256"
# mosquitto_passwd (Mosquitto 2) writes `$7$<iterations>$<salt b64>$<hash b64>`:
# PBKDF2-HMAC-SHA512, 12-byte salt, 64-byte key, 101 iterations by default.
MOSQUITTO_PBKDF2_ITERATIONS = 101
_MOSQUITTO_SALT_BYTES = 12


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_in: int


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; an absent hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def set_password_hasher(hasher: PasswordHasher) -> None:
    """Hash with other argon2 parameters from now on, in this process.

    For the test suite, whose thousand log-ins would otherwise spend minutes of CPU in
    argon2; stored hashes with other parameters are upgraded at the user's next log-in."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("labshare-no-such-user")


def create_access_token(
    subject: uuid.UUID, secret_key: str, expires_minutes: int, now: datetime | None = None
) -> AccessToken:
    issued = now or datetime.now(UTC)
    lifetime = timedelta(minutes=expires_minutes)
    claims = {"sub": str(subject), "iat": issued, "exp": issued + lifetime}
    return AccessToken(
        token=jwt.encode(claims, secret_key, algorithm=JWT_ALGORITHM),
        expires_in=int(lifetime.total_seconds()),
    )


def decode_access_token(token: str, secret_key: str) -> uuid.UUID:
    """The user id in a valid token; raises ``InvalidToken`` otherwise."""
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[JWT_ALGORITHM], options={"require": ["sub", "exp"]}
        )
        return uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc


def new_gateway_secret() -> str:
    return secrets.token_urlsafe(32)


def mosquitto_password_hash(
    password: str, *, salt: bytes | None = None, iterations: int = MOSQUITTO_PBKDF2_ITERATIONS
) -> str:
    """A hash in the format of Mosquitto 2's password file (``$7$`` = PBKDF2-SHA512)."""
    salt = salt if salt is not None else secrets.token_bytes(_MOSQUITTO_SALT_BYTES)
    derived = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(derived).decode()}"


# bcrypt reads at most 72 bytes of a password; nats-server's Go bcrypt refuses longer ones.
_BCRYPT_MAX_BYTES = 72


def nats_password_hash(password: str, *, rounds: int = 11) -> str | None:
    """A bcrypt hash (``$2b$``) for nats-server's ``authorization`` users; ``None`` when the
    password is longer than bcrypt can take (72 bytes; generated secrets are 43)."""
    raw = password.encode()
    if len(raw) > _BCRYPT_MAX_BYTES:
        return None
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds=rounds)).decode()


def verify_mosquitto_password(password: str, encoded: str) -> bool:
    try:
        _, kind, iterations, salt_b64, hash_b64 = encoded.split("$")
        if kind != "7":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(hash_b64)
        derived = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(derived, expected)
