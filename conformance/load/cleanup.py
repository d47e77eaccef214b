"""Nothing left behind: every client the run registered is deleted (RFC 7592 §2.3).

Deletes go out in batches of ``batch`` concurrent requests, at most ``rate`` per second, within
``timeout_s`` in all; a delete with no answer or a 5xx is tried once more. A client with no
registration access token is deleted with the ``[management_client]``'s ``dcrm`` token when the
profile has one. Whatever could not be deleted is returned as leftovers, to be listed.
Runs in the load process (gevent is there: Locust is imported).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.client import management
from conformance.client.http import Exchange, Transport
from conformance.client.registration import DynamicClient
from conformance.client.token import access_token_of, initial_token_request
from conformance.vocabulary import DCRM_SCOPE


@dataclass
class CleanupResult:
    deleted: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # client_id -> why it is left
    interrupted: bool = False


def delete_all(profile, handles: list[dict[str, Any]], *, batch: int, rate: float, timeout_s: float,
               on_exchange: Callable[[Exchange], None], stop: Callable[[], bool] = lambda: False,
               transport: Transport | None = None) -> CleanupResult:
    """Delete every client of ``handles``; ``on_exchange`` sees each delete (timing, oracles)."""
    import gevent.pool

    own = transport is None
    transport = transport or Transport.for_profile(profile, max_connections=batch)
    for handle in handles:
        transport.redactor.add_secret(handle.get("registration_access_token"))
    result = CleanupResult()
    deadline = time.monotonic() + timeout_s
    manager_token: list[str | None] = []

    def management_token() -> str | None:
        if not manager_token:
            token = None
            if profile.management_client is not None:
                ex = transport.send(initial_token_request(profile, profile.management_client, DCRM_SCOPE))
                token = access_token_of(ex)
                transport.redactor.add_secret(token)
            manager_token.append(token)
        return manager_token[0]

    def delete_one(handle: dict[str, Any]) -> tuple[str, str | None]:
        client_id = handle["client_id"]
        uri, rat = handle.get("registration_client_uri"), handle.get("registration_access_token")
        token = rat or management_token()
        if not uri or not token:
            return client_id, "no registration_client_uri or token to delete it with"
        dyn = DynamicClient(client_id=client_id, registration_client_uri=uri, registration_access_token=rat)
        for attempt in (1, 2):
            ex = transport.send(management.delete_request(dyn, None if rat else token))
            on_exchange(ex)
            if ex.status is not None and 200 <= ex.status < 300:
                return client_id, None
            if ex.status is not None and ex.status < 500:
                return client_id, f"HTTP {ex.status}"
            if attempt == 2 or time.monotonic() > deadline:
                return client_id, ex.error or f"HTTP {ex.status}"
        return client_id, "not deleted"

    pool = gevent.pool.Pool(batch)
    pending = list(handles)
    try:
        for start in range(0, len(pending), batch):
            chunk = pending[start:start + batch]
            if stop() or time.monotonic() > deadline:
                result.interrupted = True
                for handle in pending[start:]:
                    result.left.append(handle["client_id"])
                    result.reasons[handle["client_id"]] = "cleanup interrupted or out of time"
                break
            began = time.monotonic()
            for client_id, reason in pool.imap_unordered(delete_one, chunk):
                if reason is None:
                    result.deleted.append(client_id)
                else:
                    result.left.append(client_id)
                    result.reasons[client_id] = reason
            pause = len(chunk) / rate - (time.monotonic() - began)
            if pause > 0 and start + batch < len(pending):
                gevent.sleep(min(pause, max(0.0, deadline - time.monotonic())))
    finally:
        if own:
            transport.close()
    return result
