"""DPoP proofs (RFC 9449) signed with an ES256 key, for the hostile-input run."""

import base64
import hashlib
import time
import uuid

import jwt


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(key) -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.x.to_bytes(32, "big")),
        "y": b64(numbers.y.to_bytes(32, "big")),
    }


def proof(key, method: str, url: str, token: str | None = None) -> str:
    claims = {"htm": method, "htu": url, "iat": int(time.time()), "jti": str(uuid.uuid4())}
    if token is not None:
        claims["ath"] = b64(hashlib.sha256(token.encode()).digest())
    headers = {"typ": "dpop+jwt", "jwk": public_jwk(key)}
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)
