"""Leave no litter: delete every client the suite registered (RFC 7592 §2.3), list those that stay."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from conformance.client import management
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.profile import Profile

class CleanupAbandoned(BaseException):
    """Raised into the cleanup by a second signal (:mod:`~conformance.harness.interrupts`): delete
    no more clients (a BaseException so that no ``except Exception`` of a request swallows it)."""


#: Why a client stays when a second signal stopped the cleanup.
ABANDONED = "not deleted: a second signal stopped the cleanup"


#: Deletes in flight at once: the cleanup of a long run (hundreds of clients, a ``DELETE`` and a
#: read-back each) is bounded by round trips, not by the client's CPU; a small pool keeps the load
#: on the deployment modest.
CLEANUP_WORKERS = 8

#: The names of the threads that delete clients start so: their exchanges are no check's.
CLEANUP_THREADS = f"dcr-cleanup"  # noqa: F541 (an f-string: no new constant for Hypothesis)

#: What a DELETE refused with these statuses says (RFC 7592 §2.3: "If the server does not support
#: the delete method, the server MUST respond with HTTP 405 Not Supported", "If the client is not
#: allowed to delete itself, the server MUST respond with HTTP 403 Forbidden").
_REFUSALS = {405: "delete not supported: ", 403: "the client is not allowed to delete itself: "}


def delete_clients(registered: list[tuple[DcrSession, Profile, DynamicClient]], *, keep: bool,
                   redact: Callable[[str], str], abandoned: Callable[[], bool] = lambda: False,
                   workers: int = CLEANUP_WORKERS) -> list[dict]:
    """Delete the clients; return the leftovers, ``{"profile", "client_id", "reason"}`` each, in the
    order the clients were registered. The first is deleted at once, the rest by up to ``workers``
    threads. When ``abandoned()`` turns true, or :class:`CleanupAbandoned` is raised (into this
    thread by a second signal, or by a delete), no more deletes start and every client not yet
    deleted stays (:data:`ABANDONED`)."""
    results: list[list[dict] | None] = [None] * len(registered)
    managers: dict[str, str | None] = {}  # profile name -> a management client's dcrm token
    lock = threading.Lock()
    stop = threading.Event()

    def one(index: int) -> None:
        if stop.is_set() or abandoned():
            stop.set()
            raise CleanupAbandoned
        results[index] = _delete_one(registered[index], keep, redact, managers, lock)

    try:
        if registered:
            one(0)
        if len(registered) > 1:
            pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=CLEANUP_THREADS)
            try:
                futures = [pool.submit(one, index) for index in range(1, len(registered))]
                for future in futures:
                    future.result()  # CleanupAbandoned (from a worker) propagates
            except BaseException:
                stop.set()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
    except CleanupAbandoned:
        stop.set()
    leftovers: list[dict] = []
    for (_, profile, dyn), result in zip(registered, results):
        if result is not None:
            leftovers.extend(result)
        elif not dyn.deleted:
            leftovers.append({"profile": profile.name, "client_id": dyn.client_id, "reason": ABANDONED})
    return leftovers


def _delete_one(registered: tuple[DcrSession, Profile, DynamicClient], keep: bool, redact: Callable[[str], str],
                managers: dict[str, str | None], lock: threading.Lock) -> list[dict]:
    """Delete one client; the leftover entry (none or one) it leaves."""
    session, profile, dyn = registered
    entry = {"profile": profile.name, "client_id": dyn.client_id}
    if keep:
        return [{**entry, "reason": "kept (--dcr-keep-clients)"}]
    if not profile.claims.registration_management or not dyn.registration_client_uri:
        return [{**entry, "reason": "the profile does not claim RFC 7592 management"}]
    # A 2xx DELETE, by a check or here, is checked: the client's own token must not read it any more.
    exchange = None if dyn.deleted else session.delete(dyn)
    if exchange is None or exchange.status == 204:
        if _still_readable(session, dyn):
            return [{**entry, "reason": "DELETE answered 2xx, yet the client's registration "
                                        "access token still reads it"}]
        return []
    if exchange.status in (401, 404) and session.was_deleted(dyn):
        return []
    if exchange.status in (401, 403) and _delete_as_manager(session, profile, dyn, managers, lock):
        return []
    return [{**entry, "reason": redact(exchange.error or _REFUSALS.get(exchange.status, "")
                                       + f"DELETE answered HTTP {exchange.status}")}]


def _delete_as_manager(session: DcrSession, profile: Profile, dyn: DynamicClient,
                       tokens: dict[str, str | None], lock: threading.Lock) -> bool:
    """When the client's own token cannot delete it (e.g. a deployment refusing RFC 7592 calls of
    a revoked client), a claimed management client's ``dcrm`` token may (Curity
    ``management-clients``); one token per profile."""
    if not (profile.claims.management_clients and profile.management_client is not None):
        return False
    with lock:  # one token per profile, whichever thread asks first
        if profile.name not in tokens:
            tokens[profile.name] = session.management_token()[0]
        token = tokens[profile.name]
    return token is not None and session.delete(dyn, token=token).status == 204


def _still_readable(session: DcrSession, dyn: DynamicClient) -> bool:
    """After a 204 DELETE, does the client's own token still read it (RFC 7592 §2.3: it MUST be
    invalidated)? One GET per client, so that a server that says it deleted but did not is caught."""
    return session.transport.send(management.read_request(dyn)).status == 200
