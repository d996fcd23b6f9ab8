"""Who may order: bearer tokens from a file of hashed tokens, and a rate limit per client.

The token file has one token a line, ``sha256:<hex digest> <name>``; ``#`` starts a comment.
Only digests are stored, so the file can be read by the server account without revealing a
token. ``leafletgen token FILE --name NAME`` (or :func:`add_token`) adds one and prints the
token once. A client sends ``Authorization: Bearer <token>``; a browser on the order page
may send it as the password of HTTP Basic authentication (any user name), so a receptionist
types it once and the browser remembers it.

The rate limit is a token bucket per client (its token's name, else its address), counted in
items (leaflets x languages), since the cost of a request is its renders. Written here
because no rate-limiting package is locked, and the need is twenty lines.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from leafletgen.errors import Problem, UsageError

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """Does ``host`` listen on this machine only (127.0.0.0/8, ::1, localhost)?"""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve beyond this machine


def digest(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tokens:
    """The accepted tokens: digest -> the client's name."""

    names: dict[str, str]

    @classmethod
    def read(cls, path: Path) -> Tokens:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read the token file: {exc}") from None
        names, problems = {}, []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            hashed, _, name = line.partition(" ")
            hexdigest = hashed.removeprefix("sha256:")
            if not hashed.startswith("sha256:") or len(hexdigest) != 64 or not all(
                    c in "0123456789abcdef" for c in hexdigest):
                problems.append(Problem(str(path), f"line {number}", "expected 'sha256:<64 hex digits> NAME' "
                                        "(create a token with 'leafletgen token FILE --name NAME')"))
                continue
            names[hashed] = name.strip() or f"token {number}"
        if problems:
            raise UsageError(problems)
        if not names:
            raise UsageError(f"{path}: no token in the file (create one with 'leafletgen token {path} --name NAME')")
        return cls(names)

    def client(self, authorization: str) -> str | None:
        """The client's name for an ``Authorization`` header value, None if it carries no valid token."""
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                value = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[2]
            except ValueError:
                return None
        elif scheme.lower() != "bearer":
            return None
        if not value:
            return None
        offered = digest(value)
        for hashed, name in self.names.items():  # compare every digest in constant time
            if hmac.compare_digest(hashed, offered):
                return name
        return None


def add_token(path: Path, name: str) -> str:
    """Append a new token for ``name`` to the token file (created if missing); returns the token."""
    name = " ".join(name.split())
    if not name:
        raise UsageError("a token needs a name (--name), e.g. the clinic system that uses it")
    token = secrets.token_urlsafe(32)
    existing = path.read_text(encoding="utf-8") if path.exists() else "# leafletgen API tokens: sha256 NAME\n"
    if existing and not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + f"{digest(token)} {name}\n", encoding="utf-8")
    path.chmod(0o600)
    return token


@dataclass
class RateLimit:
    """``per_minute`` items per client and minute, with bursts of up to that many; 0: no limit."""

    per_minute: int
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # client -> (tokens, when)
    clients: int = 4096  # forget the oldest clients beyond this many: memory stays bounded

    def take(self, client: str, cost: int = 1) -> float:
        """Take ``cost`` items for ``client``; 0.0 if allowed, else the seconds until it would be."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic()
        rate = self.per_minute / 60.0
        tokens, when = self.buckets.pop(client, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - when) * rate)
        cost = min(cost, self.per_minute)  # an order larger than a minute's worth waits for a full bucket
        if tokens >= cost:
            self.buckets[client] = (tokens - cost, now)
            wait = 0.0
        else:
            self.buckets[client] = (tokens, now)
            wait = (cost - tokens) / rate
        while len(self.buckets) > self.clients:
            self.buckets.pop(next(iter(self.buckets)))
        return wait
