"""State of the reference server: dynamic clients, their credentials, tokens and replay caches.

Secrets, registration access tokens (RATs) and access tokens are stored as SHA-256 hashes only
(as Curity stores a hash of the client secret); they are high-entropy random
values, so a plain hash is enough. Every operation that must be atomic (single use of the
initial token, credential rotation, replay caches) is one method under one lock. Each credential
keeps the time it was issued (registration, or the rotation that minted it): a registration
access token older than Curity's ``read-write-ttl`` may only DELETE.

:class:`MemoryStore` is the default; :class:`~conformance.server.sqlite_store.SqliteStore` keeps
the same data in a file so dynamic clients survive a restart.
"""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

SECRET = "secret"
RAT = "rat"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


#: ``token_type`` of a stored refresh token (RFC 6749 §1.5); its key is :func:`refresh_hash`.
REFRESH = "refresh_token"


def refresh_hash(value: str) -> str:
    """The store key of a refresh token: apart from access token keys, so that a refresh token
    presented where an access token is expected is simply unknown there."""
    return "rt:" + digest(value)


#: Status of a dynamic client (Curity's ``DynamicallyRegisteredClientStatus``),
#: set through the DCR GraphQL API (:mod:`.dcr_graphql`). Only an active client authenticates.
ACTIVE, INACTIVE, REVOKED = "active", "inactive", "revoked"
STATUSES = (ACTIVE, INACTIVE, REVOKED)


@dataclass(frozen=True)
class DynamicClient:
    """A dynamically registered client (RFC 7591) and its registered metadata."""

    client_id: str
    software_id: str
    initial_client: str  # the main client whose initial token registered it
    issued_at: int
    metadata: dict  # registered metadata as returned to the client (no credentials)
    status: str = ACTIVE  # one of STATUSES


@dataclass(frozen=True)
class TokenRecord:
    """An issued access token, or refresh token (opaque); ``token_hash`` is the key."""

    token_hash: str
    client_id: str
    scope: str
    issued_at: int
    expires_at: int
    token_type: str = "Bearer"  # or DPoP (RFC 9449 §5)
    jkt: str | None = None  # RFC 9449 §6 confirmation (JWK SHA-256 thumbprint)
    used: bool = False  # initial access tokens and (rotated) refresh tokens are single use
    revoked: bool = False
    grant_id: str | None = None  # the authorization grant (code flow) the token was issued from

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def active(self, now: float) -> bool:
        """Not revoked, not expired and (initial tokens) not consumed by a registration."""
        return not self.revoked and not self.used and now < self.expires_at


class Store(Protocol):
    def add_client(self, client: DynamicClient, credentials: dict[str, str | None],
                   issued_at: float | None = None) -> None: ...
    def get_client(self, client_id: str) -> DynamicClient | None: ...
    def update_metadata(self, client_id: str, metadata: dict) -> bool: ...
    def set_status(self, client_id: str, status: str) -> DynamicClient | None: ...
    def delete_client(self, client_id: str) -> bool: ...
    def client_ids(self, software_id: str | None = None) -> list[str]: ...
    def count_clients(self) -> int: ...
    def has_credential(self, client_id: str, kind: str, value_hash: str) -> bool: ...
    def client_for_rat(self, rat_hash: str) -> str | None: ...
    def credential_issued_at(self, kind: str, value_hash: str) -> float | None: ...
    def rotate(self, client_id: str, presented_rat_hash: str, new: dict[str, str | None],
               keep_old: bool = False, issued_at: float | None = None) -> bool: ...
    def set_credential(self, client_id: str, kind: str, value_hash: str,
                       issued_at: float | None = None) -> None: ...
    def drop_credential(self, kind: str, value_hash: str) -> None: ...
    def add_token(self, token: TokenRecord) -> None: ...
    def get_token(self, token_hash: str) -> TokenRecord | None: ...
    def consume_token(self, token_hash: str, now: float) -> bool: ...
    def mark_used(self, token_hash: str) -> None: ...
    def revoke_token(self, token_hash: str) -> None: ...
    def revoke_client_tokens(self, client_id: str, refresh: bool = True) -> int: ...
    def revoke_grant(self, grant_id: str) -> int: ...
    def remember_once(self, key: str, expires_at: float, now: float) -> bool: ...
    def close(self) -> None: ...


class CredentialRotation:
    """RFC 7592 credential rotation, written once for every store backend.

    A backend provides the primitives: ``_atomic()`` (a context holding its lock or transaction,
    yielding a handle the others take), ``_owner(tx, kind, hash)``, ``_drop_kind(tx, client_id,
    kind)`` and ``_put(tx, client_id, kind, hash, issued_at)``.
    """

    def _atomic(self) -> AbstractContextManager[Any]: ...
    def _owner(self, tx: Any, kind: str, value_hash: str) -> str | None: ...
    def _drop_kind(self, tx: Any, client_id: str, kind: str | None) -> None: ...
    def _put(self, tx: Any, client_id: str, kind: str, value_hash: str, issued_at: float) -> None: ...

    def rotate(self, client_id: str, presented_rat_hash: str, new: dict[str, str | None],
               keep_old: bool = False, issued_at: float | None = None) -> bool:
        """Replace the client's credentials of the kinds in ``new`` if the presented RAT is
        still current (compare-and-swap, so two reads with one RAT cannot both rotate)."""
        issued_at = time.time() if issued_at is None else issued_at
        with self._atomic() as tx:
            if self._owner(tx, RAT, presented_rat_hash) != client_id:
                return False
            for kind, value_hash in new.items():
                if value_hash is None:
                    continue
                if not keep_old:
                    self._drop_kind(tx, client_id, kind)
                self._put(tx, client_id, kind, value_hash, issued_at)
            return True

    def set_credential(self, client_id: str, kind: str, value_hash: str,
                       issued_at: float | None = None) -> None:
        """Make ``value_hash`` the client's only credential of ``kind``."""
        issued_at = time.time() if issued_at is None else issued_at
        with self._atomic() as tx:
            self._drop_kind(tx, client_id, kind)
            self._put(tx, client_id, kind, value_hash, issued_at)


class MemoryStore(CredentialRotation):
    """All state in dicts under one lock; what a single test server needs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, DynamicClient] = {}
        self._credentials: dict[tuple[str, str], str] = {}  # (kind, hash) -> client_id
        self._issued: dict[tuple[str, str], float] = {}  # (kind, hash) -> when it was issued
        self._tokens: dict[str, TokenRecord] = {}
        # Indexes: a client's credentials and tokens, a grant's tokens (a delete or a revocation
        # touches only its own, not a scan of every token the server ever issued).
        self._client_credentials: dict[str, set[tuple[str, str]]] = {}
        self._client_tokens: dict[str, set[str]] = {}
        self._grant_tokens: dict[str, set[str]] = {}
        self._seen: dict[str, float] = {}
        self._ops = 0

    # -- dynamic clients ----------------------------------------------------------------------

    def add_client(self, client: DynamicClient, credentials: dict[str, str | None],
                   issued_at: float | None = None) -> None:
        """Store a new client; its credentials were issued at ``issued_at`` (default: now)."""
        issued_at = time.time() if issued_at is None else issued_at
        with self._lock:
            self._clients[client.client_id] = client
            for kind, value_hash in credentials.items():
                if value_hash:
                    self._put(None, client.client_id, kind, value_hash, issued_at)

    def get_client(self, client_id: str) -> DynamicClient | None:
        with self._lock:
            return self._clients.get(client_id)

    def _replace_client(self, client_id: str, **changes) -> DynamicClient | None:
        with self._lock:
            client = self._clients.get(client_id)
            if client is not None:
                self._clients[client_id] = client = replace(client, **changes)
            return client

    def update_metadata(self, client_id: str, metadata: dict) -> bool:
        return self._replace_client(client_id, metadata=dict(metadata)) is not None

    def set_status(self, client_id: str, status: str) -> DynamicClient | None:
        """Set the client's status; the updated client, or None when there is no such client."""
        return self._replace_client(client_id, status=status)

    def delete_client(self, client_id: str) -> bool:
        with self._lock:
            found = self._clients.pop(client_id, None) is not None
            self._drop_kind(None, client_id, None)
            return found

    def client_ids(self, software_id: str | None = None) -> list[str]:
        with self._lock:
            return [c.client_id for c in self._clients.values()
                    if software_id is None or c.software_id == software_id]

    def count_clients(self) -> int:
        with self._lock:
            return len(self._clients)

    # -- credentials (hashed client secrets and RATs) -----------------------------------------

    def has_credential(self, client_id: str, kind: str, value_hash: str) -> bool:
        with self._lock:
            return self._credentials.get((kind, value_hash)) == client_id

    def client_for_rat(self, rat_hash: str) -> str | None:
        with self._lock:
            return self._credentials.get((RAT, rat_hash))

    def credential_issued_at(self, kind: str, value_hash: str) -> float | None:
        """When a live credential was issued (None: unknown credential)."""
        with self._lock:
            return self._issued.get((kind, value_hash))

    def drop_credential(self, kind: str, value_hash: str) -> None:
        with self._lock:
            owner = self._credentials.pop((kind, value_hash), None)
            self._issued.pop((kind, value_hash), None)
            if owner is not None:
                self._client_credentials.get(owner, set()).discard((kind, value_hash))

    @contextmanager
    def _atomic(self):
        with self._lock:
            yield None

    def _owner(self, tx: None, kind: str, value_hash: str) -> str | None:
        return self._credentials.get((kind, value_hash))

    def _put(self, tx: None, client_id: str, kind: str, value_hash: str, issued_at: float) -> None:
        previous = self._credentials.get((kind, value_hash))
        if previous is not None and previous != client_id:
            self._client_credentials.get(previous, set()).discard((kind, value_hash))
        self._credentials[(kind, value_hash)] = client_id
        self._issued[(kind, value_hash)] = issued_at
        self._client_credentials.setdefault(client_id, set()).add((kind, value_hash))

    def _drop_kind(self, tx: None, client_id: str, kind: str | None) -> None:
        """Forget the client's credentials of ``kind`` (None: all of them); lock held."""
        held = self._client_credentials.get(client_id, set())
        for key in [k for k in held if kind is None or k[0] == kind]:
            held.discard(key)
            if self._credentials.get(key) == client_id:
                del self._credentials[key]
                self._issued.pop(key, None)
        if not held:
            self._client_credentials.pop(client_id, None)

    # -- tokens -------------------------------------------------------------------------------

    def add_token(self, token: TokenRecord) -> None:
        with self._lock:
            self._tokens[token.token_hash] = token
            self._index_token(token)
            self._maybe_prune(time.time())

    def _index_token(self, token: TokenRecord) -> None:
        self._client_tokens.setdefault(token.client_id, set()).add(token.token_hash)
        if token.grant_id is not None:
            self._grant_tokens.setdefault(token.grant_id, set()).add(token.token_hash)

    def get_token(self, token_hash: str) -> TokenRecord | None:
        with self._lock:
            return self._tokens.get(token_hash)

    def consume_token(self, token_hash: str, now: float) -> bool:
        """Atomically mark an active, unused token as used; False if that is not possible."""
        with self._lock:
            token = self._tokens.get(token_hash)
            if token is None or token.used or not token.active(now):
                return False
            self._tokens[token_hash] = replace(token, used=True)
            return True

    def _replace_token(self, token_hash: str, **changes) -> None:
        with self._lock:
            token = self._tokens.get(token_hash)
            if token is not None:
                self._tokens[token_hash] = replace(token, **changes)

    def mark_used(self, token_hash: str) -> None:
        self._replace_token(token_hash, used=True)

    def revoke_token(self, token_hash: str) -> None:
        self._replace_token(token_hash, revoked=True)

    def revoke_client_tokens(self, client_id: str, refresh: bool = True) -> int:
        """Revoke the client's tokens (its refresh tokens too unless ``refresh`` is False)."""
        with self._lock:
            hits = [h for h in self._client_tokens.get(client_id, ()) if h in self._tokens
                    and (refresh or self._tokens[h].token_type != REFRESH)]
            for h in hits:
                self._tokens[h] = replace(self._tokens[h], revoked=True)
            return len(hits)

    def revoke_grant(self, grant_id: str) -> int:
        """Revoke every access and refresh token of one grant (RFC 7009 §2.1, RFC 6749 §4.1.2)."""
        with self._lock:
            hits = [h for h in self._grant_tokens.get(grant_id, ()) if h in self._tokens]
            for h in hits:
                self._tokens[h] = replace(self._tokens[h], revoked=True)
            return len(hits)

    # -- replay caches (assertion jti, DPoP jti) ----------------------------------------------

    def remember_once(self, key: str, expires_at: float, now: float) -> bool:
        """True the first time ``key`` is seen before it expires, False on a replay."""
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and seen > now:
                return False
            self._seen[key] = expires_at
            self._maybe_prune(now)
            return True

    def _maybe_prune(self, now: float) -> None:
        self._ops += 1
        if self._ops % 1000:
            return
        self._seen = {k: v for k, v in self._seen.items() if v > now}
        # Expired tokens are kept a while so introspection can still say active:false.
        self._tokens = {h: t for h, t in self._tokens.items() if t.expires_at > now - 3600}
        self._client_tokens, self._grant_tokens = {}, {}
        for token in self._tokens.values():
            self._index_token(token)

    def close(self) -> None:
        pass
