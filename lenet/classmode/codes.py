"""Join codes and teacher tokens: short codes a class can type, long tokens nobody can guess."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# No look-alikes: 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, U/V are left out, so a code read off a projector is typed right.
ALPHABET = "34679ACEFGHJKMNPRTWXY"
CODE_LENGTH = 6  # 21**6 is about 86 million codes: with guessing rate-limited, a live class is not found by chance
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits, the size Python's docs recommend for security tokens


def new_code() -> str:
    """A fresh join code: CODE_LENGTH characters from ALPHABET, drawn with `secrets`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """A typed code as stored: upper case, spaces and dashes removed ("ab3 k-7x" -> "AB3K7X")."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def looks_like_code(code: str) -> bool:
    """Whether `code` (normalised) could be a join code at all, before asking the database."""
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def new_token() -> str:
    """A fresh teacher token for the teacher link; only its hash is stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The sha256 hex digest stored for a token. A plain hash suffices: the token has 256 random bits."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether `token` hashes to `stored_hash`, compared in constant time."""
    return hmac.compare_digest(hash_token(token), stored_hash)
