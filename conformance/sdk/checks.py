"""Client-side checks ``DCR-SDK-*`` and :func:`grade`: recorded traffic in, verdicts out.

docs/catalogue.md lists DCR-SDK-001…005; this module extends the list to 012. Each check is a
function of one installation's calls under one scenario; it returns an :class:`Outcome` (passed,
a message, the calls that show it). :func:`grade` runs the checks the scenario names for every
installation of a recording and returns :class:`Result` s: id, verdict (``pass``, ``warn`` or
``fail``), message and redacted evidence (the calls' ``text``, redacted at capture time with
:class:`~conformance.client.redact.Redactor`). As in the MCP conformance suite, behaviour a
scenario needs but that was never observed is a failure, never a silent pass.

Levels, as on the server side: a check's level comes from the words of its requirements (MUST,
or SHOULD where the RFC says SHOULD or no public source states a MUST: the suite's inferred
rules). A failed SHOULD-level check, and a SHOULD finding inside a MUST check (:func:`_warn`,
e.g. the initial token in the query string, RFC 6750 §2.3 "SHOULD NOT be used"), is a warning
(``warn``): it fails a verdict only when strict (:func:`failures` with ``strict=True``).

Requirement ids are those of :mod:`conformance.requirements` where a clause already exists, plus
the SDK-side clauses of :data:`SDK_REQUIREMENTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from conformance.catalogue import SDK_CHECKS, SDK_STEP, CheckInfo, register
from conformance.requirements import MUST, REQUIREMENTS, SHOULD

from .answers import SDK_ANSWERS, Answer
from .recording import Call, Recording
from .scenarios import ACCEPTED, Scenario, get_scenario

PASS, WARN, FAIL = "pass", "warn", "fail"
_NOT_GRADED = ("metadata", "resource", "other")
_EVIDENCE_LIMIT = 8

_IOS_BUILDER = "https://curity.io/docs/haapi-ios-ui-kit/latest/classes/HaapiAccessorBuilder.html"


@dataclass(frozen=True)
class SdkRequirement:
    """A client-side clause (the server-side registry is :data:`conformance.requirements.REQUIREMENTS`)."""

    id: str
    level: str
    text: str
    url: str
    inferred: bool = False  # [INFER] in the catalogue: no public source states it


SDK_REQUIREMENTS: dict[str, SdkRequirement] = {r.id: r for r in (
    SdkRequirement("CURITY-SDK-FALLBACK", MUST,
                   "The SDK registers a dynamic client only when attestation fails or is unsupported: "
                   "dcr token, registration, then token requests as the new client.", _IOS_BUILDER),
    SdkRequirement("CURITY-SDK-STORE", MUST,
                   "The registered client is stored on the device, reused on later runs and used instead "
                   "of the main client; clearing it forces a new registration.", _IOS_BUILDER),
    SdkRequirement("CURITY-SDK-NONCE", MUST,
                   "The SDK retries a use_dpop_nonce answer with a proof carrying the server's nonce.",
                   "https://curity.io/docs/identity-server/developer-guide/haapi-sdks/upgrade-guides/"
                   "dpop-nonce-auto-management"),
    # inferred (no public source states it): at most a SHOULD
    SdkRequirement("CURITY-SDK-RECOVER", SHOULD,
                   "A stored client rejected with invalid_client is discarded and replaced by one new "
                   "registration, without retry loops.", _IOS_BUILDER, inferred=True),
    # inferred (no public source states it): at most a SHOULD
    SdkRequirement("SUITE-SDK-RETRY", SHOULD,
                   "A client never hammers a failing server: retries after a 5xx pause (and honour "
                   "Retry-After) and stop after a few attempts.",
                   "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4", inferred=True),
)}


def requirement_info(rid: str) -> SdkRequirement:
    """A requirement of either registry, as an :class:`SdkRequirement`."""
    if rid in SDK_REQUIREMENTS:
        return SDK_REQUIREMENTS[rid]
    req = REQUIREMENTS[rid]  # KeyError: a programming error in a check
    return SdkRequirement(req.id, req.level, req.text, req.url)


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str
    evidence: tuple[Call, ...] = ()
    level: str | None = None  # of a failed outcome: SHOULD (a finding) or None (the check's level)


def _pass(message: str, *evidence: Call) -> Outcome:
    return Outcome(True, message, tuple(evidence))


def _fail(message: str, *evidence: Call) -> Outcome:
    return Outcome(False, message, tuple(evidence))


def _warn(message: str, *evidence: Call) -> Outcome:
    """A SHOULD finding: a warning, whatever the check's level (a failure only when strict)."""
    return Outcome(False, message, tuple(evidence), SHOULD)


@dataclass(frozen=True)
class SdkCheck(CheckInfo):
    """A client-side check of the catalogue (step ``sdk``); ``function`` grades a
    :class:`CheckContext`. Registered in :data:`conformance.catalogue.REGISTRY`, read through
    :data:`SDK_CHECKS`."""

    step: str = SDK_STEP
    function: Callable[[CheckContext], Outcome] | None = field(default=None, compare=False, repr=False)

    @property
    def inferred(self) -> bool:
        return any(requirement_info(r).inferred for r in self.requirements)

    @property
    def answers(self) -> tuple[Answer, ...]:
        """What the specs allow and forbid here (:data:`~conformance.sdk.answers.SDK_ANSWERS`)."""
        return SDK_ANSWERS[self.id]


def sdk_check(check_id: str, *requirement_ids: str, level: str | None = None) -> Callable:
    """Register a client-side check; its docstring's first line is the title. ``level``: by default
    the strongest of its requirements' (MUST where one is MUST, else SHOULD); a check may not claim
    more than its requirements' words."""
    if not requirement_ids:
        raise ValueError(f"{check_id} cites no requirement")
    levels = {requirement_info(rid).level for rid in requirement_ids}
    strongest = MUST if MUST in levels else SHOULD
    if level is None:
        level = strongest
    elif level == MUST and strongest != MUST:
        raise ValueError(f"{check_id} claims MUST but its requirements say {strongest}")

    def decorate(function: Callable[[CheckContext], Outcome]) -> Callable[[CheckContext], Outcome]:
        title = (function.__doc__ or "").strip().splitlines()[0]
        if not title:
            raise ValueError(f"{check_id} has no docstring")
        if check_id in SDK_CHECKS:
            raise ValueError(f"{check_id} is declared twice")
        if check_id not in SDK_ANSWERS:
            raise ValueError(f"{check_id} declares no allowed answers (conformance.sdk.answers)")
        register(SdkCheck(check_id, title, tuple(requirement_ids), level, function=function))
        return function

    return decorate


@dataclass(frozen=True)
class Result:
    """The verdict of one check for one installation."""

    id: str
    title: str
    verdict: str  # "pass" | "warn" (a SHOULD finding) | "fail"
    level: str
    requirements: tuple[str, ...]
    scenario: str
    installation: str
    message: str
    evidence: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Passed, or passed with a SHOULD warning (as the server suite's ``warning``)."""
        return self.verdict != FAIL

    @property
    def warned(self) -> bool:
        return self.verdict == WARN

    def __str__(self) -> str:
        head = f"{self.id} {self.verdict.upper()} [{self.installation}] {self.title}: {self.message}"
        return "\n".join([head, *("    " + line for ev in self.evidence for line in ev.splitlines())])

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "verdict": self.verdict, "level": self.level,
                "requirements": list(self.requirements), "scenario": self.scenario,
                "installation": self.installation, "message": self.message,
                "evidence": list(self.evidence)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        return cls(data["id"], data["title"], data["verdict"], data["level"], tuple(data["requirements"]),
                   data["scenario"], data["installation"], data["message"], tuple(data.get("evidence", ())))


# -- what a check sees -------------------------------------------------------------------------


@dataclass
class CheckContext:
    scenario: Scenario
    installation: str
    calls: list[Call]  # this installation's calls, in arrival order (markers included)

    @property
    def traffic(self) -> list[Call]:
        """The calls that are not launch markers (attestation calls are markers)."""
        return [c for c in self.calls if not c.marker]

    @property
    def last_launch(self) -> int:
        return max((c.launch for c in self.calls), default=0)

    def launch(self, number: int) -> list[Call]:
        return [c for c in self.calls if c.launch == number]

    @staticmethod
    def effective(calls: Iterable[Call]) -> list[Call]:
        """The calls without markers and without attempts that were retried (a 5xx answer or a
        nonce challenge followed by another request to the same endpoint)."""
        traffic = [c for c in calls if not c.marker]
        kept = []
        for index, call in enumerate(traffic):
            retried = (call.server_error or call.nonce_challenged) and any(
                later.kind == call.kind for later in traffic[index + 1:])
            if not retried:
                kept.append(call)
        return kept

    def after(self, call: Call) -> list[Call]:
        return [c for c in self.traffic if c.seq > call.seq]

    def next_of(self, call: Call, kind: str | None = None) -> Call | None:
        return next((c for c in self.after(call) if kind is None or c.kind == kind), None)

    def registered_in(self, client_id: str | None) -> int | None:
        """The launch in which this installation registered ``client_id``."""
        for c in self.traffic:
            if c.kind == "register" and c.ok and c.issued_client_id == client_id:
                return c.launch
        return None

    def registered_before(self, client_id: str | None, launch: int) -> bool:
        registered = self.registered_in(client_id)
        return registered is not None and registered < launch

    @property
    def expects_registration(self) -> bool:
        return bool({"DCR-SDK-001", "DCR-SDK-003", "DCR-SDK-009"} & set(self.scenario.checks))


# -- the checks --------------------------------------------------------------------------------


@sdk_check("DCR-SDK-001", "CURITY-SDK-FALLBACK")
def first_launch_sequence(ctx: CheckContext) -> Outcome:
    """First launch after failed attestation: dcr token (main client), registration, DPoP token request."""
    calls = ctx.launch(1)
    if not [c for c in calls if not c.marker]:
        return _fail("no request in launch 1: the app never fell back to DCR", *calls)
    steps = [c for c in ctx.effective(calls) if c.kind in ("token", "register")]
    expected = (
        ("a client_credentials token request by the main client with scope dcr, answered 200",
         lambda c: c.dcr_token_request and c.grant_type == "client_credentials"
         and c.client_role == "main" and c.ok),
        ("a POST to the registration endpoint, answered 201",
         lambda c: c.kind == "register" and c.method == "POST" and c.ok),
        ("a client_credentials token request for the template scope with a DPoP proof",
         lambda c: c.kind == "token" and not c.dcr_token_request and c.grant_type == "client_credentials"
         and c.dpop),
    )
    for index, (text, fits) in enumerate(expected):
        if index >= len(steps):
            return _fail(f"step {index + 1} never came: expected {text}; the sequence stopped after "
                         f"{index} step(s)", *steps)
        if not fits(steps[index]):
            return _fail(f"step {index + 1}: expected {text}, saw {steps[index].short()}", *steps[:index + 1])
    attestations = [c for c in calls if c.kind == "attestation"]
    if attestations and attestations[0].seq > steps[0].seq:
        return _fail("the app registered before asking the attestation stand-in", attestations[0], steps[0])
    if attestations and attestations[0].attestation == ACCEPTED:
        return _fail("the app fell back to DCR although attestation was accepted", *attestations[:1], *steps[:3])
    return _pass("dcr token, registration, then a DPoP token request: in that order", *steps[:3])


@sdk_check("DCR-SDK-002", "CURITY-SDK-STORE")
def later_launch_reuses_client(ctx: CheckContext) -> Outcome:
    """Later launches use the stored dynamic client: no new dcr token, no new registration."""
    if ctx.last_launch < 2:
        return _fail(f"only {ctx.last_launch} launch(es) observed; restart the app (a launch starts "
                     f"with a call to the attestation stand-in)", *ctx.calls[-3:])
    cached = 0
    for number in range(2, ctx.last_launch + 1):
        traffic = [c for c in ctx.launch(number) if not c.marker]
        again = [c for c in traffic if c.dcr_token_request or c.kind == "register"]
        if again:
            return _fail(f"launch {number} asked for a new registration although a client was stored",
                         *again)
        stored = [c for c in traffic if c.kind == "token" and c.client_role == "dynamic"
                  and ctx.registered_before(c.client_id, number)]
        # RFC 6749 §5.1: a token is usable until it expires; one kept from an earlier launch is the
        # stored client in use (the server's 2xx says it was still valid)
        kept = [c for c in traffic if c.token_role == "access" and c.ok and c.token_client
                and ctx.registered_before(c.token_client, number)]
        if not stored and not kept:
            return _fail(f"launch {number} made no token request with the stored client and presented "
                         f"no still-valid token of it", *traffic)
        cached += not stored
    how = f" ({cached} by a still-valid cached token)" if cached else ""
    return _pass(f"launches 2..{ctx.last_launch} used the stored client without registering{how}",
                 *ctx.traffic[-2:])


@sdk_check("DCR-SDK-003", "CURITY-SDK-STORE")
def clear_registers_new_client(ctx: CheckContext) -> Outcome:
    """Building with shouldClearExistingDCRClient registers a new client whose client_id differs."""
    number = ctx.scenario.clear_in_launch or 2
    if ctx.last_launch < number:
        return _fail(f"launch {number} (the one with shouldClearExistingDCRClient) was not observed",
                     *ctx.calls[-3:])
    before = {c.issued_client_id for c in ctx.traffic
              if c.kind == "register" and c.ok and c.launch < number}
    if not before:
        return _fail(f"no client was registered before launch {number}", *ctx.traffic[:3])
    traffic = [c for c in ctx.launch(number) if not c.marker]
    registrations = [c for c in traffic if c.kind == "register" and c.ok]
    if len(registrations) != 1:
        return _fail(f"launch {number}: expected exactly one new registration, saw {len(registrations)}",
                     *(registrations or traffic))
    new = registrations[0].issued_client_id
    if new in before:
        return _fail(f"the new registration returned an old client_id ({new})", registrations[0])
    used = [c for c in traffic if c.kind == "token" and c.client_id == new]
    if not used:
        return _fail(f"the new client {new} was not used in launch {number}", registrations[0])
    return _pass(f"launch {number} registered {new} (before: {', '.join(sorted(before))}) and used it",
                 registrations[0], used[0])


@sdk_check("DCR-SDK-004", "CURITY-SDK-FALLBACK")
def no_dcr_when_attested(ctx: CheckContext) -> Outcome:
    """When attestation is accepted there is no DCR traffic at all."""
    attestations = [c for c in ctx.calls if c.kind == "attestation"]
    if not attestations:
        return _fail("the app never called the attestation stand-in (POST /attestation at each launch)",
                     *ctx.calls[:3])
    accepted = {c.launch for c in attestations if c.attestation == ACCEPTED}
    dcr = [c for c in ctx.traffic if c.launch in accepted and (
        c.dcr_token_request or c.kind in ("register", "manage")
        or (c.kind == "token" and c.client_role == "dynamic"))]
    if dcr:
        return _fail("DCR requests although attestation was accepted", *dcr)
    return _pass(f"no DCR request in {len(accepted)} attested launch(es)", *attestations)


@sdk_check("DCR-SDK-005", "CURITY-SDK-NONCE", "RFC9449-8")
def nonce_retry(ctx: CheckContext) -> Outcome:
    """A use_dpop_nonce answer is retried once with a proof whose nonce is the DPoP-Nonce value."""
    challenges = [c for c in ctx.traffic if c.nonce_challenged]
    if not challenges:
        if ctx.scenario.require_nonce:
            return _fail("no use_dpop_nonce challenge was issued: the dynamic client sent no DPoP token "
                         "request", *ctx.traffic[-3:])
        return _pass("no nonce challenge in this scenario")
    for challenge in challenges:
        retry = ctx.next_of(challenge, challenge.kind)
        if retry is None:
            return _fail("no retry after the use_dpop_nonce challenge", challenge)
        if retry.dpop_nonce != challenge.nonce_challenge:
            got = "no nonce" if retry.dpop_nonce is None else f"nonce {retry.dpop_nonce!r}"
            return _fail(f"the retry's proof carried {got}, not the DPoP-Nonce "
                         f"{challenge.nonce_challenge!r}", challenge, retry)
    run = longest = 0
    for c in ctx.traffic:
        run = run + 1 if c.nonce_challenged else 0
        longest = max(longest, run)
    if longest > 2:
        return _fail(f"{longest} nonce challenges in a row: the retries do not converge", *challenges[:4])
    return _pass(f"{len(challenges)} challenge(s), each retried with the server's nonce", *challenges[:2])


@sdk_check("DCR-SDK-006", "CURITY-DCR-ONCE", "RFC6750-2", "RFC6750-2.1", "RFC9449-7", "RFC9449-7-b")
def initial_token_once_as_bearer(ctx: CheckContext) -> Outcome:
    """Each initial token is presented once, to the registration endpoint, in the Authorization header."""
    issued = [c for c in ctx.traffic if c.dcr_token_request and c.ok and c.issued_token]
    if not issued:
        if ctx.expects_registration:
            return _fail("no initial (dcr) token was obtained", *ctx.traffic[:3])
        return _pass("no initial token in this scenario")
    schemes = set()
    elsewhere: list[tuple[Call, Call]] = []  # SHOULD findings: (grant, use) with the token in the body or query
    for grant in issued:
        bound = (grant.token_type or "").lower() == "dpop"  # RFC 9449 §5: token_type DPoP
        uses = [c for c in ctx.after(grant) if grant.issued_token in (c.token, c.token_elsewhere)]
        for use in uses:
            in_header = use.token == grant.issued_token
            if use.token_elsewhere == grant.issued_token:
                if in_header:  # RFC 6750 §2
                    return _fail("the initial token was sent both in the Authorization header and in the body "
                                 "or query (RFC 6750 §2: \"Clients MUST NOT use more than one method to "
                                 "transmit the token in each request\")", grant, use)
                elsewhere.append((grant, use))
            if in_header:
                allowed = ("bearer", "dpop") if bound else ("bearer",)  # SDK_ANSWERS["DCR-SDK-006"]
                if use.auth_scheme not in allowed:
                    why = ("not Bearer or DPoP" if bound else
                           "not Bearer (the token is not DPoP-bound: the server issued token_type "
                           f"{grant.token_type or 'Bearer'!r})")
                    return _fail(f"the initial token was sent with the {use.auth_scheme!r} scheme, {why}",
                                 grant, use)
                if use.auth_scheme == "dpop" and not (use.dpop and use.dpop_ath):
                    return _fail("the DPoP-bound initial token came without a DPoP proof carrying ath "
                                 "(RFC 9449 §7, §4.2)", grant, use)
                schemes.add(use.auth_scheme)
            if use.kind != "register":
                return _fail(f"the initial token was used at {use.path}, not at the registration endpoint",
                             grant, use)
        answered = [u for u in uses if u.status is not None and not u.server_error]
        if len(answered) > 1 or (answered and uses[-1].seq > answered[0].seq):
            return _fail("the initial token was presented again after the server had answered its first "
                         "use (single use)", grant, *uses)
    if elsewhere:  # RFC 6750 §2.1 SHOULD; §2.2 / §2.3 "SHOULD NOT be used": a warning
        return _warn(f"the initial token was sent in the body or query, not in the Authorization header, "
                     f"{len(elsewhere)} time(s) (RFC 6750 §2.1: \"Clients SHOULD make authenticated requests "
                     f"with a bearer token using the \"Authorization\" request header field\"; the query "
                     f"method \"SHOULD NOT be used\", §2.3)", *elsewhere[0])
    shown = " or ".join({"bearer": "Bearer", "dpop": "DPoP"}[s] for s in sorted(schemes)) or "Bearer"
    return _pass(f"{len(issued)} initial token(s), each used once in the Authorization header ({shown})",
                 *issued[:2])


@sdk_check("DCR-SDK-007", "CURITY-TEMPLATE-1", "RFC7591-3")
def software_id_sent(ctx: CheckContext) -> Outcome:
    """Registration requests are JSON naming the template in software_id."""
    registrations = [c for c in ctx.traffic if c.kind == "register"]
    if not registrations:
        if ctx.expects_registration:
            return _fail("no registration request was made", *ctx.traffic[:3])
        return _pass("no registration in this scenario")
    want = ctx.scenario.software_id
    for reg in registrations:
        if reg.content_type != "application/json":
            return _fail(f"Content-Type was {reg.content_type!r}, not application/json", reg)
        if reg.software_id != want:
            got = "no software_id" if reg.software_id is None else f"software_id {reg.software_id!r}"
            return _fail(f"the registration sent {got}; the template is {want!r}", reg)
    return _pass(f"{len(registrations)} registration(s) with software_id {want!r}", *registrations[:2])


@sdk_check("DCR-SDK-008", "CURITY-SDK-STORE")
def per_device_client_used(ctx: CheckContext) -> Outcome:
    """After registering, the app authenticates as its newest dynamic client, never as the main client."""
    latest: str | None = None
    registered_by: Call | None = None
    uses: list[Call] = []
    for c in ctx.traffic:
        if c.kind == "register" and c.ok and c.issued_client_id:
            latest, registered_by = c.issued_client_id, c
            continue
        if latest is None or c.kind not in ("token", "revoke", "introspect") or c.dcr_token_request:
            continue
        if c.client_id != latest:
            who = {"main": "the main client", "dynamic": f"the older dynamic client {c.client_id!r}"}.get(
                c.client_role or "", f"client {c.client_id!r} (not registered in this recording)")
            return _fail(f"after registering {latest}, a {c.kind} request authenticated as {who}",
                         registered_by, c)
        uses.append(c)
    if latest is None:
        if ctx.expects_registration:
            return _fail("no successful registration, so no per-device client", *ctx.traffic[:3])
        return _pass("no registration in this scenario")
    if not uses:
        return _fail(f"the registered client {latest} was never used for a token request", registered_by)
    return _pass(f"{len(uses)} request(s) as the dynamic client after registration", registered_by, uses[0])


@sdk_check("DCR-SDK-009", "CURITY-SDK-RECOVER")
def re_registers_after_revocation(ctx: CheckContext) -> Outcome:
    """A stored client rejected with invalid_client is replaced by one new registration, without loops."""
    start = ctx.scenario.revoke_from_launch or 2
    later = [c for c in ctx.traffic if c.launch >= start]
    if not later:
        return _fail(f"launch {start} (after the revocation) was not observed", *ctx.calls[-3:])
    rejection = next((c for c in later if c.kind == "token" and c.client_role == "dynamic"
                      and c.status == 401 and c.error == "invalid_client"), None)
    if rejection is None:
        return _fail(f"launch {start} never presented the revoked client, so its reaction to "
                     f"invalid_client could not be seen", *later[:4])
    after = ctx.after(rejection)
    reuse = [c for c in after if c.client_id == rejection.client_id and c.kind != "register"]
    if len(reuse) > ctx.scenario.max_rejected_retries:
        return _fail(f"after invalid_client the app used the rejected client {len(reuse)} more time(s) "
                     f"(at most {ctx.scenario.max_rejected_retries}): a loop on invalid_client",
                     rejection, *reuse)
    registrations = [c for c in after if c.kind == "register" and c.ok]
    if not registrations:
        return _fail("the app did not register again after invalid_client", rejection, *after[:4])
    if len(registrations) > 1:
        return _fail(f"{len(registrations)} registrations after one rejection (a registration loop)",
                     rejection, *registrations)
    new = registrations[0].issued_client_id
    used = [c for c in after if c.kind == "token" and c.client_id == new and c.ok]
    if not used:
        return _fail(f"the new client {new} got no token", rejection, registrations[0])
    return _pass(f"rejected {rejection.client_id}, registered {new} once and used it",
                 rejection, registrations[0], used[0])


@sdk_check("DCR-SDK-010", "RFC7592-2.1")
def rotated_values_adopted(ctx: CheckContext) -> Outcome:
    """Secrets and registration tokens rotated by RFC 7592 replace the old ones at once, across launches."""
    current: dict[str, tuple[str | None, str | None]] = {}  # client -> (secret fp, RAT fp)
    rotations: list[Call] = []
    for c in ctx.traffic:
        if c.kind == "register" and c.ok and c.issued_client_id:
            current[c.issued_client_id] = (c.issued_secret, c.issued_rat)
            continue
        if c.kind == "manage" and c.ok and c.target_client in current:
            secret, rat = current[c.target_client]
            if c.token and rat and c.token != rat:
                return _fail("an RFC 7592 request presented a registration access token that had been "
                             "replaced", *rotations[-1:], c)
            new_secret = c.issued_secret or secret
            new_rat = c.issued_rat or rat
            if (new_secret, new_rat) != (secret, rat):
                rotations.append(c)
            current[c.target_client] = (new_secret, new_rat)
            continue
        if c.kind == "manage" and c.target_client in current and c.token:
            if c.token != current[c.target_client][1]:
                return _fail("an RFC 7592 request presented a registration access token that had been "
                             "replaced", *rotations[-1:], c)
        if c.kind in ("token", "revoke", "introspect") and c.client_id in current and c.secret:
            if c.secret != current[c.client_id][0]:
                return _fail(f"client {c.client_id} presented a secret that rotation had replaced "
                             f"(launch {c.launch})", *rotations[-1:], c)
    if not rotations:
        number = ctx.scenario.read_in_launch or 2
        return _fail(f"no RFC 7592 read or update returned rotated credentials: the app must read its "
                     f"client configuration in launch {number}", *ctx.traffic[-3:])
    last = rotations[-1]
    used = [c for c in ctx.after(last) if c.kind == "token" and c.client_id == last.target_client]
    if not used:
        return _fail("no token request after the rotation, so adoption could not be seen", last)
    return _pass(f"{len(rotations)} rotation(s); {len(used)} later request(s) used the new secret",
                 last, used[-1])


def _retry_after(call: Call) -> float:
    try:
        return float(call.retry_after) if call.retry_after else 0.0
    except ValueError:
        return 0.0


def _outage_needed(ctx: CheckContext) -> Outcome | None:
    if any(c.server_error for c in ctx.traffic):
        return None
    if ctx.scenario.fail_count != 0:
        return _fail("no request was answered with 5xx: the app sent no token or registration request",
                     *ctx.calls[-3:])
    return _pass("no 5xx answer in this scenario")


@sdk_check("DCR-SDK-011", "SUITE-SDK-RETRY")
def backs_off_after_5xx(ctx: CheckContext) -> Outcome:
    """After a 5xx answer the app pauses before its next request (back-off)."""
    missing = _outage_needed(ctx)
    if missing is not None:
        return missing
    failures = [c for c in ctx.traffic if c.server_error]
    gaps = []
    for failure in failures:
        following = ctx.next_of(failure)
        if following is None:
            continue
        gap = following.at - failure.done
        need = max(ctx.scenario.min_delay_s, _retry_after(failure))
        if gap < need:
            return _fail(f"retried {gap:.3f} s after a {failure.status} (at least {need:g} s expected)",
                         failure, following)
        gaps.append(gap)
    shown = ", ".join(f"{g:.2f}" for g in gaps) or "none (the app gave up)"
    return _pass(f"pauses after {len(failures)} 5xx answer(s): {shown} s", *failures[:3])


@sdk_check("DCR-SDK-012", "SUITE-SDK-RETRY")
def bounded_retries(ctx: CheckContext) -> Outcome:
    """Consecutive attempts answered 5xx stay within the bound (no endless retrying)."""
    missing = _outage_needed(ctx)
    if missing is not None:
        return missing
    run: list[Call] = []
    longest: list[Call] = []
    for c in ctx.traffic:
        run = run + [c] if c.server_error else []
        if len(run) > len(longest):
            longest = run
    bound = ctx.scenario.max_attempts
    if len(longest) > bound:
        return _fail(f"{len(longest)} consecutive attempts answered 5xx (at most {bound})",
                     longest[0], longest[-1])
    return _pass(f"at most {len(longest)} consecutive attempt(s) answered 5xx (bound {bound})", *longest[:1])


# -- grading -----------------------------------------------------------------------------------


def _as_recording(recorded: Recording | dict | list) -> Recording:
    if isinstance(recorded, Recording):
        return recorded
    if isinstance(recorded, dict):
        return Recording.from_dict(recorded)
    calls = [c if isinstance(c, Call) else Call.from_dict(c) for c in recorded]
    return Recording("", calls)


def grade(scenario: str | Scenario, recorded: Recording | dict | list, *,
          installation: str | None = None) -> list[Result]:
    """Grade recorded traffic against the checks of ``scenario``, per installation.

    ``recorded``: a :class:`Recording` (or its dict form, or a list of calls). A scenario given by
    name takes the grading options the recording was made with (``min_delay_s``...); a
    :class:`Scenario` object is used as it is. Raises ValueError when the recording was made under
    another scenario (the server behaved differently).
    """
    recording = _as_recording(recorded)
    if isinstance(scenario, Scenario):
        chosen = scenario
    else:
        known = {k: v for k, v in recording.options.items() if k in Scenario.OPTIONS}
        chosen = get_scenario(scenario, **known)
    if recording.scenario and recording.scenario != chosen.name:
        raise ValueError(f"the recording was made under scenario {recording.scenario!r}, "
                         f"not {chosen.name!r}")
    installations = [installation] if installation else [
        inst for inst in recording.installations()
        if any(c.kind not in _NOT_GRADED for c in recording.of(inst))]  # metadata-only: stray traffic
    if not installations:
        installations = ["(none)"]
    results = []
    for inst in installations:
        ctx = CheckContext(chosen, inst, recording.of(inst))
        for check_id in chosen.checks:
            check = SDK_CHECKS[check_id]
            if not ctx.calls:
                outcome = _fail("no traffic was recorded for this installation")
            else:
                outcome = check.function(ctx)
            evidence = tuple(c.text for c in outcome.evidence[:_EVIDENCE_LIMIT] if c is not None)
            results.append(Result(check.id, check.title, verdict_of(outcome, check.level), check.level,
                                  check.requirements, chosen.name, inst, outcome.message, evidence))
    return results


def verdict_of(outcome: Outcome, level: str) -> str:
    """``pass``; ``warn`` for a SHOULD finding or a failed SHOULD-level check; else ``fail``."""
    if outcome.passed:
        return PASS
    return WARN if (outcome.level or level) == SHOULD else FAIL


def failures(results: Iterable[Result], *, strict: bool = False) -> list[Result]:
    """The failed results; with ``strict`` the warnings (SHOULD findings) too."""
    return [r for r in results if r.verdict == FAIL or (strict and r.verdict == WARN)]
