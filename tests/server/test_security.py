"""Password hashes, access tokens and Mosquitto-compatible gateway password hashes."""

from __future__ import annotations

import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from server.core.security import (
    InvalidToken,
    create_access_token,
    decode_access_token,
    hash_password,
    mosquitto_password_hash,
    verify_mosquitto_password,
    verify_password,
)

SECRET = "k" * 40


def test_argon2_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("labshare-demo")
    assert stored.startswith("$argon2id$")
    assert "labshare-demo" not in stored
    assert verify_password("labshare-demo", stored)
    assert not verify_password("labshare-dem0", stored)
    assert not verify_password("labshare-demo", None)
    assert not verify_password("labshare-demo", "not-a-hash")


def test_same_password_hashes_differently() -> None:
    assert hash_password("same") != hash_password("same")


def test_token_carries_user_id_and_expiry() -> None:
    user_id = uuid.uuid4()
    token = create_access_token(user_id, SECRET, expires_minutes=30)
    assert token.expires_in == 1800
    assert decode_access_token(token.token, SECRET) == user_id
    claims = jwt.decode(token.token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(user_id)
    assert claims["exp"] - claims["iat"] == 1800


def test_expired_token_is_rejected() -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    token = create_access_token(uuid.uuid4(), SECRET, expires_minutes=60, now=issued)
    with pytest.raises(InvalidToken):
        decode_access_token(token.token, SECRET)


def test_token_signed_with_another_key_is_rejected() -> None:
    token = create_access_token(uuid.uuid4(), "other" * 10, expires_minutes=5)
    with pytest.raises(InvalidToken):
        decode_access_token(token.token, SECRET)


def test_unsigned_token_is_rejected() -> None:
    forged = jwt.encode({"sub": str(uuid.uuid4()), "exp": 9999999999}, None, algorithm="none")
    with pytest.raises(InvalidToken):
        decode_access_token(forged, SECRET)


def test_mosquitto_hash_has_the_mosquitto_passwd_layout() -> None:
    encoded = mosquitto_password_hash("gw-secret", salt=b"0123456789ab")
    kind, iterations, salt, digest = encoded.split("$")[1:]
    assert (kind, iterations, salt) == ("7", "101", "MDEyMzQ1Njc4OWFi")
    assert len(digest) == 88  # base64 of a 64-byte SHA-512 key
    assert verify_mosquitto_password("gw-secret", encoded)
    assert not verify_mosquitto_password("gw-secreT", encoded)


def test_verifies_a_hash_written_by_mosquitto_passwd(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    subprocess.run(
        ["/usr/bin/mosquitto_passwd", "-c", "-b", str(passwd), "demo-gw-01", "s3cret-value"],
        check=True,
        capture_output=True,
    )
    user, encoded = passwd.read_text().strip().split(":", 1)
    assert user == "demo-gw-01"
    assert verify_mosquitto_password("s3cret-value", encoded)
    assert not verify_mosquitto_password("wrong", encoded)
    # Same salt, same password: our hash is byte-identical to mosquitto_passwd's.
    import base64

    salt = base64.b64decode(encoded.split("$")[3])
    assert mosquitto_password_hash("s3cret-value", salt=salt) == encoded
