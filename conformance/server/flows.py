"""State of HAAPI authorization flows: open transactions and issued authorization codes.

Both are short-lived (minutes, like Curity's authentication session and its codes) and kept in
memory only; a restart ends every flow in progress, as it would end a browser login. A
transaction belongs to one dynamic client and one DPoP key (the key of the HAAPI access token
that started it); a code is single use (RFC 6749 §4.1.2) and remembers, after its use, the grant
it started, so a second use can revoke that grant's tokens (§4.1.2 SHOULD).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace

MAX_FAILED_LOGINS = 5


@dataclass(frozen=True)
class Transaction:
    """An authorization request (RFC 6749 §4.1.1, PKCE RFC 7636 §4.3) waiting for the user."""

    client_id: str
    jkt: str  # thumbprint of the HAAPI DPoP key: every request of the flow is signed by it
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str
    expires_at: float
    failures: int = 0
    dpop_jkt: str | None = None  # RFC 9449 §10: the key the code is to be bound to, if asked


@dataclass(frozen=True)
class CodeGrant:
    """An issued authorization code (stored under its hash) and what it grants."""

    client_id: str
    jkt: str  # the code is bound to the HAAPI DPoP key (Curity issue-token-bound-authorization-code)
    redirect_uri: str
    scope: str
    code_challenge: str
    subject: str
    expires_at: float
    grant_id: str
    used: bool = False
    dpop_jkt: str | None = None  # RFC 9449 §10: only a proof by this key may exchange the code


class FlowState:
    """Transactions by id and codes by hash, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._transactions: dict[str, Transaction] = {}
        self._codes: dict[str, CodeGrant] = {}

    def open(self, transaction: Transaction) -> str:
        tx_id = secrets.token_urlsafe(24)
        with self._lock:
            self._prune(transaction.expires_at - 3600)
            self._transactions[tx_id] = transaction
        return tx_id

    def transaction(self, tx_id: str, now: float) -> Transaction | None:
        with self._lock:
            tx = self._transactions.get(tx_id)
            return tx if tx is not None and now < tx.expires_at else None

    def failed_login(self, tx_id: str) -> int:
        """Count a wrong password; the transaction ends after :data:`MAX_FAILED_LOGINS`."""
        with self._lock:
            tx = self._transactions.get(tx_id)
            if tx is None:
                return MAX_FAILED_LOGINS
            failures = tx.failures + 1
            if failures >= MAX_FAILED_LOGINS:
                del self._transactions[tx_id]
            else:
                self._transactions[tx_id] = replace(tx, failures=failures)
            return failures

    def close(self, tx_id: str) -> Transaction | None:
        """End a transaction (once: a second close of the same id gets None)."""
        with self._lock:
            return self._transactions.pop(tx_id, None)

    def add_code(self, code_hash: str, grant: CodeGrant) -> None:
        with self._lock:
            self._codes[code_hash] = grant

    def redeem(self, code_hash: str) -> CodeGrant | None:
        """The code's grant, marked used atomically; a used code comes back with ``used=True``."""
        with self._lock:
            grant = self._codes.get(code_hash)
            if grant is not None and not grant.used:
                self._codes[code_hash] = replace(grant, used=True)
            return grant

    def _prune(self, before: float) -> None:
        self._transactions = {k: t for k, t in self._transactions.items() if t.expires_at > before}
        self._codes = {k: c for k, c in self._codes.items() if c.expires_at > before}
