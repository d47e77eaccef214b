"""The store in an SQLite file, so dynamic clients survive a restart (``serve --state FILE``).

Same contract as :class:`~conformance.server.store.MemoryStore`. One connection serves all
threads; a lock serialises every operation and multi-statement operations run in one
``BEGIN IMMEDIATE`` transaction, so concurrent requests never lose a write and single use stays
atomic. Secrets, RATs and tokens are stored as SHA-256 hashes only, each credential with the time
it was issued. A state file written before credentials had that time is migrated on open: the
column is added and a live credential counts from its client's registration (the earliest it can
have been issued, so it never gets a longer read-write life than it could have had). A state file
from before clients had a status (Curity's DCR GraphQL API) gets the column, every client active.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .store import RAT, REFRESH, CredentialRotation, DynamicClient, TokenRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, software_id TEXT NOT NULL, initial_client TEXT NOT NULL,
    issued_at INTEGER NOT NULL, metadata TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'active');
CREATE TABLE IF NOT EXISTS credentials (
    kind TEXT NOT NULL, value_hash TEXT NOT NULL, client_id TEXT NOT NULL, issued_at REAL,
    PRIMARY KEY (kind, value_hash));
CREATE INDEX IF NOT EXISTS credentials_client ON credentials (client_id, kind);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, token_type TEXT NOT NULL,
    jkt TEXT, used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0, grant_id TEXT);
CREATE INDEX IF NOT EXISTS tokens_client ON tokens (client_id);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
"""
_PUT_CREDENTIAL = ("INSERT OR REPLACE INTO credentials (kind, value_hash, client_id, issued_at) "
                   "VALUES (?, ?, ?, ?)")


class SqliteStore(CredentialRotation):
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), isolation_level=None,
                                   check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._migrate()
        self._migrate_tokens()
        self._migrate_status()
        self._ops = 0

    def _migrate(self) -> None:
        """Add ``credentials.issued_at`` to a state file from before it existed (see above)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(credentials)")}
        if "issued_at" in columns:
            return
        with self._tx() as db:
            db.execute("ALTER TABLE credentials ADD COLUMN issued_at REAL")
            db.execute("UPDATE credentials SET issued_at = (SELECT issued_at FROM clients "
                       "WHERE clients.client_id = credentials.client_id)")

    def _migrate_tokens(self) -> None:
        """Add ``tokens.grant_id`` (code-flow grants) to a state file from before it existed:
        the tokens already there came from client_credentials, which has no grant to link."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}
        if "grant_id" not in columns:
            self._db.execute("ALTER TABLE tokens ADD COLUMN grant_id TEXT")
        self._db.execute("CREATE INDEX IF NOT EXISTS tokens_grant ON tokens (grant_id)")

    def _migrate_status(self) -> None:
        """Add ``clients.status`` to a state file from before it existed: every client is active."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(clients)")}
        if "status" not in columns:
            self._db.execute("ALTER TABLE clients ADD COLUMN status TEXT NOT NULL DEFAULT 'active'")

    @contextmanager
    def _tx(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _one(self, sql: str, args: tuple = ()):
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _run(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            return self._db.execute(sql, args).rowcount

    # -- dynamic clients ----------------------------------------------------------------------

    def add_client(self, client: DynamicClient, credentials: dict[str, str | None],
                   issued_at: float | None = None) -> None:
        issued_at = time.time() if issued_at is None else issued_at
        with self._tx() as db:
            db.execute("INSERT INTO clients (client_id, software_id, initial_client, issued_at, "
                       "metadata, status) VALUES (?, ?, ?, ?, ?, ?)",
                       (client.client_id, client.software_id, client.initial_client,
                        client.issued_at, json.dumps(client.metadata), client.status))
            for kind, value_hash in credentials.items():
                if value_hash:
                    db.execute(_PUT_CREDENTIAL, (kind, value_hash, client.client_id, issued_at))

    def get_client(self, client_id: str) -> DynamicClient | None:
        row = self._one("SELECT client_id, software_id, initial_client, issued_at, metadata, status "
                        "FROM clients WHERE client_id = ?", (client_id,))
        if row is None:
            return None
        return DynamicClient(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])

    def update_metadata(self, client_id: str, metadata: dict) -> bool:
        return self._run("UPDATE clients SET metadata = ? WHERE client_id = ?",
                         (json.dumps(metadata), client_id)) == 1

    def set_status(self, client_id: str, status: str) -> DynamicClient | None:
        if self._run("UPDATE clients SET status = ? WHERE client_id = ?", (status, client_id)) != 1:
            return None
        return self.get_client(client_id)

    def delete_client(self, client_id: str) -> bool:
        with self._tx() as db:
            found = db.execute("DELETE FROM clients WHERE client_id = ?", (client_id,)).rowcount
            db.execute("DELETE FROM credentials WHERE client_id = ?", (client_id,))
            return found == 1

    def client_ids(self, software_id: str | None = None) -> list[str]:
        with self._lock:
            if software_id is None:
                rows = self._db.execute("SELECT client_id FROM clients").fetchall()
            else:
                rows = self._db.execute("SELECT client_id FROM clients WHERE software_id = ?",
                                        (software_id,)).fetchall()
        return [r[0] for r in rows]

    def count_clients(self) -> int:
        return self._one("SELECT COUNT(*) FROM clients")[0]

    # -- credentials --------------------------------------------------------------------------

    def has_credential(self, client_id: str, kind: str, value_hash: str) -> bool:
        row = self._one("SELECT client_id FROM credentials WHERE kind = ? AND value_hash = ?",
                        (kind, value_hash))
        return row is not None and row[0] == client_id

    def client_for_rat(self, rat_hash: str) -> str | None:
        row = self._one("SELECT client_id FROM credentials WHERE kind = ? AND value_hash = ?",
                        (RAT, rat_hash))
        return row[0] if row else None

    def credential_issued_at(self, kind: str, value_hash: str) -> float | None:
        row = self._one("SELECT issued_at FROM credentials WHERE kind = ? AND value_hash = ?",
                        (kind, value_hash))
        return row[0] if row else None

    _atomic = _tx  # the rotation (CredentialRotation) runs in one transaction

    def _owner(self, db: sqlite3.Connection, kind: str, value_hash: str) -> str | None:
        row = db.execute("SELECT client_id FROM credentials WHERE kind = ? AND value_hash = ?",
                         (kind, value_hash)).fetchone()
        return row[0] if row else None

    def _drop_kind(self, db: sqlite3.Connection, client_id: str, kind: str | None) -> None:
        db.execute("DELETE FROM credentials WHERE client_id = ? AND kind = ?", (client_id, kind))

    def _put(self, db: sqlite3.Connection, client_id: str, kind: str, value_hash: str,
             issued_at: float) -> None:
        db.execute(_PUT_CREDENTIAL, (kind, value_hash, client_id, issued_at))

    def drop_credential(self, kind: str, value_hash: str) -> None:
        self._run("DELETE FROM credentials WHERE kind = ? AND value_hash = ?", (kind, value_hash))

    # -- tokens -------------------------------------------------------------------------------

    def add_token(self, token: TokenRecord) -> None:
        self._run("INSERT INTO tokens (token_hash, client_id, scope, issued_at, expires_at, "
                  "token_type, jkt, used, revoked, grant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (token.token_hash, token.client_id, token.scope, token.issued_at,
                   token.expires_at, token.token_type, token.jkt, int(token.used),
                   int(token.revoked), token.grant_id))

    def get_token(self, token_hash: str) -> TokenRecord | None:
        row = self._one("SELECT token_hash, client_id, scope, issued_at, expires_at, token_type, "
                        "jkt, used, revoked, grant_id FROM tokens WHERE token_hash = ?", (token_hash,))
        if row is None:
            return None
        return TokenRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                           bool(row[7]), bool(row[8]), row[9])

    def consume_token(self, token_hash: str, now: float) -> bool:
        return self._run("UPDATE tokens SET used = 1 WHERE token_hash = ? AND used = 0 "
                         "AND revoked = 0 AND expires_at > ?", (token_hash, now)) == 1

    def mark_used(self, token_hash: str) -> None:
        self._run("UPDATE tokens SET used = 1 WHERE token_hash = ?", (token_hash,))

    def revoke_token(self, token_hash: str) -> None:
        self._run("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,))

    def revoke_client_tokens(self, client_id: str, refresh: bool = True) -> int:
        if refresh:
            return self._run("UPDATE tokens SET revoked = 1 WHERE client_id = ?", (client_id,))
        return self._run("UPDATE tokens SET revoked = 1 WHERE client_id = ? AND token_type != ?",
                         (client_id, REFRESH))

    def revoke_grant(self, grant_id: str) -> int:
        return self._run("UPDATE tokens SET revoked = 1 WHERE grant_id = ?", (grant_id,))

    # -- replay caches ------------------------------------------------------------------------

    def remember_once(self, key: str, expires_at: float, now: float) -> bool:
        with self._tx() as db:
            self._ops += 1
            if self._ops % 1000 == 0:
                db.execute("DELETE FROM seen WHERE expires_at <= ?", (now,))
                db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now - 3600,))
            row = db.execute("SELECT expires_at FROM seen WHERE key = ?", (key,)).fetchone()
            if row is not None and row[0] > now:
                return False
            db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (key, expires_at))
            return True

    def close(self) -> None:
        with self._lock:
            self._db.close()
