"""A ``RuleBasedStateMachine`` of the dynamic client's lifecycle (DCR-FUZZ-003).

Hypothesis writes programs of these steps and shrinks a failing one to the shortest:

* obtain an initial token (Curity: single use);
* register with a token — a fresh one, or one that already registered (reuse);
* register ``race_width`` times concurrently with one fresh token (at most one 201);
* use a client (client_credentials, RFC 6749 §4.4), also after it was deleted;
* read (RFC 7592 §2.1, rotation adopted; rotated-out secrets must stop working), update
  (RFC 7592 §2.2, the same scope or a wider one), delete (RFC 7592 §2.3) with the client's own
  token or, where the profile claims management clients, a management client's ``dcrm`` token;
* introspect (RFC 7662) and revoke (RFC 7009) the client's last access token.

Invariants (checked inside the steps, where the evidence is, and over the model after each
step): a token registers at most once; a deleted client never works again; deleting one client
never affects another; no client ever holds a scope outside its template.

A failure message lists the steps of the (shrunk) program that broke the invariant.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, precondition, rule

from conformance.client.registration import DynamicClient
from conformance.client.token import access_token_of
from conformance.fuzz.pool import InitialToken, TokenPool
from conformance.oracles import registration
from conformance.oracles.expect import error_response, expect, fail, json_object, refused, status_in, success
from conformance.oracles.failures import CheckFailure
from conformance.oracles.token_response import scopes

#: Live clients re-checked after a delete (deleting one must not affect another).
OTHERS_CHECKED = 3
OUTSIDE_SCOPE = "dcr-fuzz-outside-scope"


@dataclass
class LifecycleContext:
    """What the machine works against: one profile's session, a token pool, the race width."""

    dcr_session: Any
    profile: Any
    pool: TokenPool
    race_width: int = 16
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def claims(self):
        return self.profile.claims

    def can_introspect(self) -> bool:
        return bool(self.profile.introspector and self.profile.server.introspection_endpoint
                    and self.claims.introspection)

    def can_revoke(self) -> bool:
        return bool(self.profile.server.revocation_endpoint and self.claims.revocation)

    def can_manage_all(self) -> bool:
        return bool(self.profile.management_client and self.claims.management_clients)

    def manager_token(self) -> str:
        """The management client's ``dcrm`` token (Curity ``management-clients``), fetched once."""
        if self._manager_token is None:
            token, ex = self.dcr_session.management_token()
            expect(token, "the management client got no dcrm token", "a token (claimed management_clients)", ex)
            self._manager_token = token
        return self._manager_token

    _manager_token: str | None = field(default=None, repr=False)


@dataclass(eq=False)
class ClientModel:
    """What the model knows of one registered client."""

    dyn: DynamicClient
    name: str
    deleted: bool = False
    access_token: str | None = None
    token_revoked: bool = False

    def __repr__(self) -> str:  # Hypothesis prints bundle values: never the credentials
        return f"<{self.name} {'deleted' if self.deleted else 'live'}>"


class Lifecycle(RuleBasedStateMachine):
    """The lifecycle model; bind it to a context with :func:`bind`."""

    context: ClassVar[LifecycleContext | None] = None
    tokens = Bundle("tokens")
    clients = Bundle("clients")

    def __init__(self) -> None:
        super().__init__()
        if self.context is None:
            raise RuntimeError("Lifecycle is not bound to a context: use bind()")
        self.ctx = self.context
        self.dcr_session, self.profile = self.ctx.dcr_session, self.ctx.profile
        self.template = self.profile.template
        self.steps: list[str] = []
        self.models: list[ClientModel] = []
        self.tokens_seen: list[InitialToken] = []
        self.scopes_seen: list[tuple[str, str]] = []
        self.races = 0

    # -- bookkeeping --------------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, text: str):
        """Log a step; a CheckFailure inside it names the program that led there."""
        self.steps.append(text)
        self.ctx.stats["steps"] = self.ctx.stats.get("steps", 0) + 1
        try:
            yield
        except CheckFailure as failure:
            program = "\n".join(f"    {i}. {s}" for i, s in enumerate(self.steps, 1))
            raise type(failure)(f"{failure}\n  steps of the program (minimal once shrunk):\n{program}") from None

    def _adopt(self, dyn: DynamicClient, ex) -> ClientModel:
        model = ClientModel(dyn, f"client#{len(self.models) + 1}")
        self.models.append(model)
        body = ex.json() if isinstance(ex.json(), dict) else {}
        if isinstance(body.get("scope"), str):
            self.scopes_seen.append((f"registration of {model.name}", body["scope"]))
        self.ctx.stats["clients"] = self.ctx.stats.get("clients", 0) + 1
        return model

    def _live(self) -> list[ClientModel]:
        return [m for m in self.models if not m.deleted]

    def _works(self, model: ClientModel, what: str) -> None:
        ex = self.dcr_session.use(model.dyn)
        registration.judge_works(ex, self.template, dpop=self.profile.use.dpop, what=what)
        model.access_token, model.token_revoked = access_token_of(ex), False
        body = ex.json() or {}
        if isinstance(body.get("scope"), str):
            self.scopes_seen.append((f"token of {model.name}", body["scope"]))

    def _refused_client(self, ex, what: str) -> None:
        """The credentials of a deleted client are refused (RFC 7592 §2.3; RFC 6749 §5.2)."""
        refused(ex, what, statuses={400, 401}, errors={"invalid_client"})

    # -- rules --------------------------------------------------------------------------------

    def _register_fresh(self) -> ClientModel:
        token = self.ctx.pool.get()
        self.tokens_seen.append(token)
        with self.step(f"register with a fresh initial token {token.label}"):
            dyn, ex = self.dcr_session.register(token.value)
            registration.never_5xx(ex, "registration")
            if dyn is not None:
                token.registrations += 1
            status_in(ex, 201, "registration with a fresh initial token")
            expect(dyn is not None, "the 201 names no client", "a client_id (RFC 7591 §3.2.1)", ex)
            registration.judge_registered(ex.json(), self.template, None, ex, "registration")
            return self._adopt(dyn, ex)

    # Every program starts with two clients, so that "deleting one client never affects another"
    # is always within reach of a single delete.
    @initialize(target=clients)
    def first_client(self):
        return self._register_fresh()

    @initialize(target=clients)
    def second_client(self):
        return self._register_fresh()

    @rule(target=tokens)
    def obtain_initial_token(self):
        token = self.ctx.pool.get()
        self.tokens_seen.append(token)
        with self.step(f"obtain initial token {token.label}"):
            return token

    @rule(target=clients, token=tokens)
    def register(self, token: InitialToken):
        reuse = token.used
        with self.step(f"register with initial token {token.label}" + (" again (reuse)" if reuse else "")):
            stale = token.stale
            dyn, ex = self.dcr_session.register(token.value)
            token.attempts += 1
            registration.never_5xx(ex, "registration")
            if dyn is None and not (200 <= ex.status < 300):
                if not reuse:
                    expect(stale, f"registration with a fresh initial token {token.label} was refused (HTTP {ex.status})",
                           "201 (the token is unused and young)", ex)
                else:
                    refused(ex, f"registration reusing initial token {token.label}", statuses={400, 401, 403})
                return multiple()
            token.registrations += 1
            model = self._adopt(dyn, ex) if dyn is not None else None
            if self.ctx.claims.initial_token_single_use:
                expect(not reuse, f"initial token {token.label} registered a second client (HTTP {ex.status})",
                       "a refusal: the initial token is single use (Curity; 401 invalid_token)", ex)
            status_in(ex, 201, "registration")
            expect(model is not None, "the 201 names no client", "a client_id (RFC 7591 §3.2.1)", ex)
            registration.judge_registered(ex.json(), self.template, None, ex, "registration")
            return model

    @precondition(lambda self: self.races < 1 and self.ctx.claims.initial_token_single_use)
    @rule(target=clients)
    def race(self):
        self.races += 1
        token = self.ctx.pool.get()
        width = self.ctx.race_width
        with self.step(f"register {width} times concurrently with initial token {token.label}"):
            with ThreadPoolExecutor(width) as pool:
                answers = list(pool.map(lambda _: self.dcr_session.register(token.value), range(width)))
            created = [(dyn, ex) for dyn, ex in answers if dyn is not None or 200 <= (ex.status or 0) < 300]
            models = [self._adopt(dyn, ex) for dyn, ex in created if dyn is not None]
            token.registrations += len(created)
            for _, ex in answers:
                registration.never_5xx(ex, "concurrent registration")
            expect(len(created) <= 1, f"{len(created)} of {width} concurrent registrations with one initial token "
                   "created a client", "exactly one 201 (the initial token is single use)", *[ex for _, ex in created[:2]])
            if not token.stale:
                expect(len(created) == 1, f"none of {width} concurrent registrations with a fresh token succeeded",
                       "exactly one 201", answers[0][1])
            return multiple(*models)

    @rule(client=clients)
    def use(self, client: ClientModel):
        with self.step(f"token request of {client.name}" + (" (deleted)" if client.deleted else "")):
            if client.deleted:
                self._refused_client(self.dcr_session.use(client.dyn), f"token request of the deleted {client.name}")
            else:
                self._works(client, f"token request of {client.name}")

    @rule(client=clients)
    def read(self, client: ClientModel):
        with self.step(f"RFC 7592 read of {client.name}" + (" (deleted)" if client.deleted else "")):
            ex = self.dcr_session.read(client.dyn)
            if client.deleted:
                status_in(ex, {401, 403}, f"read of the deleted {client.name}")
                return
            body = success(ex, 200, f"read of {client.name}")
            expect(body.get("client_id") == client.dyn.client_id, f"read of {client.name}: client_id "
                   f"{body.get('client_id')!r}", f"{client.dyn.client_id!r}", ex)
            if isinstance(body.get("scope"), str):
                self.scopes_seen.append((f"read of {client.name}", body["scope"]))
            rotation = client.dyn.last_rotation
            if rotation and rotation.secret_rotated:
                stale = self.dcr_session.use(client.dyn, secret_override=rotation.old_client_secret)
                self._refused_client(stale, f"token request of {client.name} with the secret rotated out by the read")

    @precondition(lambda self: self.template.scope is not None)
    @rule(client=clients, widen=st.booleans())
    def update(self, client: ClientModel, widen: bool):
        scope = self.template.scope + (f" {OUTSIDE_SCOPE}" if widen else "")
        label = "widening the scope" if widen else "with the same metadata"
        with self.step(f"RFC 7592 update of {client.name} {label}" + (" (deleted)" if client.deleted else "")):
            ex = self.dcr_session.update(client.dyn, {"scope": scope})
            if client.deleted:
                status_in(ex, {401, 403}, f"update of the deleted {client.name}")
                return
            if ex.status == 200:
                body = json_object(ex, f"update of {client.name}")
                if isinstance(body.get("scope"), str):
                    self.scopes_seen.append((f"update of {client.name}", body["scope"]))
                registration.judge_registered(body, self.template, None, ex, f"update of {client.name}")
                return
            expect(widen, f"update of {client.name} with its own metadata was refused (HTTP {ex.status})",
                   "200 (RFC 7592 §2.2)", ex)
            error_response(ex, {400}, {registration.METADATA}, f"update of {client.name} widening the scope")

    @rule(client=clients)
    def delete(self, client: ClientModel):
        self._delete(client, None, "")

    @precondition(lambda self: self.ctx.can_manage_all())
    @rule(client=clients)
    def delete_by_manager(self, client: ClientModel):
        self._delete(client, self.ctx.manager_token(), " with the management client's dcrm token")

    def _delete(self, client: ClientModel, token: str | None, how: str) -> None:
        with self.step(f"RFC 7592 delete of {client.name}{how}" + (" (already deleted)" if client.deleted else "")):
            ex = self.dcr_session.delete(client.dyn, token=token)
            if client.deleted:
                status_in(ex, {401, 403}, f"second delete of {client.name}")
                return
            status_in(ex, {200, 204}, f"delete of {client.name}")
            client.deleted = True
            self._refused_client(self.dcr_session.use(client.dyn), f"token request of {client.name} right after its delete")
            for other in [m for m in self._live() if m is not client][:OTHERS_CHECKED]:
                self._works(other, f"token request of {other.name} after {client.name} was deleted")

    @precondition(lambda self: self.ctx.can_introspect())
    @rule(client=clients)
    def introspect(self, client: ClientModel):
        if client.access_token is None:
            return
        state = "revoked" if client.token_revoked else ("client deleted" if client.deleted else "live")
        with self.step(f"introspect the last access token of {client.name} ({state})"):
            ex = self.dcr_session.introspect(client.access_token)
            body = success(ex, 200, f"introspection of {client.name}'s token")
            active = body.get("active")
            if client.token_revoked or (client.deleted and self.ctx.claims.deleted_client_tokens_inactive):
                expect(active is False, f"introspection: active is {active!r}",
                       "false (the token was revoked, or its client deleted)", ex)
                return
            if client.deleted:
                return
            expect(active is True, f"introspection of a live token: active is {active!r}", "true", ex)
            if "client_id" in body:
                expect(body["client_id"] == client.dyn.client_id, f"introspection: client_id {body['client_id']!r}",
                       f"{client.dyn.client_id!r}", ex)
            if isinstance(body.get("scope"), str):
                self.scopes_seen.append((f"introspection of {client.name}'s token", body["scope"]))

    @precondition(lambda self: self.ctx.can_revoke())
    @rule(client=clients)
    def revoke(self, client: ClientModel):
        if client.access_token is None:
            return
        with self.step(f"revoke the last access token of {client.name}" + (" (deleted)" if client.deleted else "")):
            ex = self.dcr_session.revoke(client.dyn, client.access_token, "access_token")
            if client.deleted:
                self._refused_client(ex, f"revocation by the deleted {client.name}")
                return
            status_in(ex, 200, f"revocation by {client.name} (RFC 7009 §2.2)")
            client.token_revoked = True

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def a_token_registers_at_most_once(self):
        if self.ctx.claims.initial_token_single_use:
            twice = [t.label for t in self.tokens_seen if t.registrations > 1]
            if twice:
                fail(f"initial tokens {twice} registered more than one client", "one client per initial token")

    @invariant()
    def no_scope_outside_the_template(self):
        if self.template.scope is None:
            return
        for where, scope in self.scopes_seen:
            extra = scopes(scope) - scopes(self.template.scope)
            if extra:
                fail(f"{where}: scope {sorted(extra)} is outside the template",
                     f"scopes within {self.template.scope!r}")

    def teardown(self):
        for model in self._live():  # eager cleanup; the run's registry deletes what is left
            if model.dyn.registration_client_uri and model.dyn.registration_access_token:
                self.dcr_session.delete(model.dyn)


def bind(context: LifecycleContext) -> type[Lifecycle]:
    """A Lifecycle class bound to ``context`` (Hypothesis instantiates the class itself)."""
    return type("Lifecycle", (Lifecycle,), {"context": context})
