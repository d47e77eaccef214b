"""Leave no litter: delete every client the suite registered (RFC 7592 §2.3), list those that stay."""

from __future__ import annotations

from collections.abc import Callable

from conformance.client import management
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.profile import Profile

class CleanupAbandoned(BaseException):
    """Raised into the cleanup by a second signal (:mod:`~conformance.harness.interrupts`): delete
    no more clients (a BaseException so that no ``except Exception`` of a request swallows it)."""


#: Why a client stays when a second signal stopped the cleanup.
ABANDONED = "not deleted: a second signal stopped the cleanup"


#: What a DELETE refused with these statuses says (RFC 7592 §2.3: "If the server does not support
#: the delete method, the server MUST respond with HTTP 405 Not Supported", "If the client is not
#: allowed to delete itself, the server MUST respond with HTTP 403 Forbidden").
_REFUSALS = {405: "delete not supported: ", 403: "the client is not allowed to delete itself: "}


def delete_clients(registered: list[tuple[DcrSession, Profile, DynamicClient]], *, keep: bool,
                   redact: Callable[[str], str], abandoned: Callable[[], bool] = lambda: False) -> list[dict]:
    """Delete the clients; return the leftovers, ``{"profile", "client_id", "reason"}`` each. When
    ``abandoned()`` turns true, or :class:`CleanupAbandoned` is raised, the rest stay (:data:`ABANDONED`)."""
    leftovers: list[dict] = []
    managers: dict[str, str | None] = {}  # profile name -> a management client's dcrm token
    for index in range(len(registered)):
        try:
            if abandoned():
                raise CleanupAbandoned
            leftovers.extend(_delete_one(registered[index], keep, redact, managers))
        except CleanupAbandoned:
            leftovers.extend({"profile": profile.name, "client_id": dyn.client_id, "reason": ABANDONED}
                             for _, profile, dyn in registered[index:] if not dyn.deleted)
            break
    return leftovers


def _delete_one(registered: tuple[DcrSession, Profile, DynamicClient], keep: bool, redact: Callable[[str], str],
                managers: dict[str, str | None]) -> list[dict]:
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
    if exchange.status in (401, 403) and _delete_as_manager(session, profile, dyn, managers):
        return []
    return [{**entry, "reason": redact(exchange.error or _REFUSALS.get(exchange.status, "")
                                       + f"DELETE answered HTTP {exchange.status}")}]


def _delete_as_manager(session: DcrSession, profile: Profile, dyn: DynamicClient,
                       tokens: dict[str, str | None]) -> bool:
    """When the client's own token cannot delete it (e.g. a deployment refusing RFC 7592 calls of
    a revoked client), a claimed management client's ``dcrm`` token may (Curity
    ``management-clients``); one token per profile."""
    if not (profile.claims.management_clients and profile.management_client is not None):
        return False
    if profile.name not in tokens:
        tokens[profile.name] = session.management_token()[0]
    token = tokens[profile.name]
    return token is not None and session.delete(dyn, token=token).status == 204


def _still_readable(session: DcrSession, dyn: DynamicClient) -> bool:
    """After a 204 DELETE, does the client's own token still read it (RFC 7592 §2.3: it MUST be
    invalidated)? One GET per client, so that a server that says it deleted but did not is caught."""
    return session.transport.send(management.read_request(dyn)).status == 200
