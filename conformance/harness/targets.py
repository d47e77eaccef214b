"""What a check runs against: the embedded reference server, the probe of a deployment, and the
targets (profile × main client) of each check, with the reason a profile does not claim one."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.client.discovery import DiscoveryError, discover
from conformance.client.bounds import DEFAULT_MAX_RESPONSE_BYTES
from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.client.redact import Redactor
from conformance.client.session import DcrSession
from conformance.harness.exitcodes import EXIT_UNUSABLE
from conformance.harness.unresponsive import EndpointWatch, GuardedTransport
from conformance.profile import ClientConfig, Profile, load_profile
from conformance.catalogue import CheckInfo

EXIT_UNREACHABLE = EXIT_UNUSABLE
EXIT_USAGE = 4  # pytest's usage-error status; the CLI maps it to 2
NOT_CLAIMED = "not claimed by profile"
#: Short enough that DCR-REG-008 can watch an initial token expire within --dcr-max-wait.
EMBEDDED_INITIAL_TOKEN_TTL_S = 5
#: The embedded server's read-write TTL of registration access tokens (DCR-MGT-014). Every other
#: check that GETs or PUTs a client does so within a second or two of registering it (DCR-FUZZ-003's
#: programs are at most 25 steps), so 8 s is a wide margin even on a slow CI machine, and the wait
#: of TTL + 1 s still fits the default --dcr-max-wait of 10 s. MGT-014's client is registered before
#: the run's first test and the check runs last, so in a full run nothing is left to wait.
EMBEDDED_READ_WRITE_TTL_S = 8


class TargetUnusable(Exception):
    """A profile's target cannot be used at all: unreachable or its TLS certificate not trusted
    (exit 3), or undiscoverable (exit 2)."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


@dataclass(frozen=True)
class Target:
    """One parameter of a check: a profile and one of its main clients."""

    profile: Profile
    label: str
    main: ClientConfig
    session: DcrSession
    per_profile: bool = False

    @property
    def id(self) -> str:
        return self.profile.name if self.per_profile else f"{self.profile.name}-{self.label}"

    def __repr__(self) -> str:  # shown by pytest on errors; never the secrets
        return f"Target({self.id})"


def start_embedded_server(defect: str | None, rotate_on_read: bool, variants=()):
    """The embedded reference server, started (the caller stops it with ``__exit__``)."""
    from conformance.server import ReferenceServer

    server = ReferenceServer(defect=defect, rotate_on_read=rotate_on_read, variants=variants,
                             initial_token_ttl_s=EMBEDDED_INITIAL_TOKEN_TTL_S,
                             registration_token_read_write_ttl_s=EMBEDDED_READ_WRITE_TTL_S)
    server.__enter__()
    return server


def reach(profile: Profile, redactor: Redactor, *, max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
          watch: EndpointWatch | None = None) -> tuple[Profile, Transport]:
    """Discover the profile's endpoints (RFC 8414) and probe its token endpoint once; raise
    :class:`TargetUnusable` when the target cannot be used: unreachable, or a server certificate
    the profile's CA bundle does not validate (expired, unknown issuer, wrong host: no check could
    tell anything but that)."""
    transport = GuardedTransport(profile.server.ca_bundle, profile.server.timeout_s, redactor,
                                 max_response_bytes=max_response_bytes, watch=watch or EndpointWatch())
    try:
        profile = discover(profile, transport)
    except DiscoveryError as exc:
        _raise_if_certificate_rejected(profile, exc.exchanges)
        code = EXIT_UNREACHABLE if exc.unreachable else EXIT_USAGE
        hint = "" if exc.unreachable else " (set the endpoints in the profile's [server] table)"
        raise TargetUnusable(f"dcr-conformance: profile {profile.name!r} ({profile.path}): "
                             f"{redactor.redact_text(str(exc))}{hint}", code) from None
    probe = transport.send(RequestSpec(method="GET", url=profile.server.token_endpoint, headers={}))
    _raise_if_certificate_rejected(profile, [probe])
    if probe.error and "TLS" not in probe.error:
        raise TargetUnusable(f"dcr-conformance: the target of profile {profile.name!r} is unreachable: "
                             f"{profile.server.token_endpoint}: {probe.error}", EXIT_UNREACHABLE)
    return profile, transport


def _raise_if_certificate_rejected(profile: Profile, exchanges: list[Exchange]) -> None:
    """One message naming the certificate problem, when the CA bundle rejected the server's certificate."""
    reason = next((e.target_unusable for e in exchanges if e.target_unusable), None)
    if reason:
        bundle = profile.server.ca_bundle or "the default CA bundle (certifi)"
        raise TargetUnusable(f"dcr-conformance: the target of profile {profile.name!r} is unusable: {reason} "
                             f"(CA bundle: {bundle})", EXIT_UNREACHABLE)


def targets_for(profile: Profile, session: DcrSession,
                info: CheckInfo | None) -> tuple[list[tuple[Target, str | None]], str]:
    """The main clients a check runs with in ``profile``, each with a skip reason or None; and,
    when none is left, why."""
    clients = list(profile.main_clients.values())
    if info is None:
        return [(Target(profile, c.label, c, session), None) for c in clients], ""
    if info.methods:
        clients = [c for c in clients if c.auth_method in info.methods]
        if not clients:
            return [], f"{NOT_CLAIMED}: no main client uses {' or '.join(info.methods)}"
    profile_reason = next((f"{NOT_CLAIMED}: [claims] {claim} "
                           + ("is not set" if getattr(profile.claims, claim) is None else "= false")
                           for claim in info.claims
                           if not getattr(profile.claims, claim)), None)
    profile_reason = profile_reason or next(
        (r for r in (_need_reason(profile, n) for n in info.needs) if r), None)
    if info.per_profile:
        clients = clients[:1]
    targets = []
    for client in clients:
        reason = profile_reason or next(
            (r for r in (_need_reason(profile, n, client) for n in info.needs) if r), None)
        targets.append((Target(profile, client.label, client, session, info.per_profile), reason))
    return targets, ""


def _need_reason(profile: Profile, need: str, main: ClientConfig | None = None) -> str | None:
    """Why an optional part the check needs is missing from the profile (None when present)."""
    if need == "issuer" and not profile.server.issuer:
        return f"{NOT_CLAIMED}: no [server] issuer for discovery"
    if need == "introspector" and profile.introspector is None:
        return f"{NOT_CLAIMED}: no [introspector] client"
    if need == "management_client" and profile.management_client is None:
        return f"{NOT_CLAIMED}: no [management_client]"
    if need == "unlisted_client" and profile.unlisted_client is None:
        return f"{NOT_CLAIMED}: no [unlisted_client]"
    if need == "template" and profile.template.software_id is None:
        return f"{NOT_CLAIMED}: no [template] software_id (the server registers without templates)"
    if need == "unauthorized_software_id" and not profile.template.unauthorized_software_id:
        return f"{NOT_CLAIMED}: no [template] unauthorized_software_id"
    if need == "resource_url" and not (profile.use.resource_url or profile.server.resource_url):
        return f"{NOT_CLAIMED}: no [use] resource_url"
    if need == "dpop" and not profile.use.dpop:
        return f"{NOT_CLAIMED}: [use] dpop = false"
    if need == "revocation_endpoint" and not profile.server.revocation_endpoint:
        return f"{NOT_CLAIMED}: no revocation_endpoint"
    if need == "introspection_endpoint" and not profile.server.introspection_endpoint:
        return f"{NOT_CLAIMED}: no introspection_endpoint"
    if need == "other_certificate" and main is not None and main.other_certificate is None:
        return f"{NOT_CLAIMED}: main client {main.label!r} has no other_certificate"
    return None


def describe_target(profile_paths: list[str], defect: str | None = None) -> list[str]:
    """What a run tests, in a few lines, for the start of its output: the embedded server (and its
    defect), or per profile its name, issuer or endpoints, main clients and the profile's warnings
    (a literal secret in the file). A profile that cannot be read is left to the run's own error."""
    from conformance.profile import ProfileError

    if not profile_paths:
        return ["dcr-conformance: target = embedded reference server (HTTPS on loopback, started when a "
                "check needs it)" + (f", defect = {defect}" if defect else "")]
    lines = []
    for path in profile_paths:
        try:
            profile = load_profile(path)
        except (ProfileError, OSError, ValueError):
            continue
        lines.append(f"dcr-conformance: target = profile {profile.name!r} ({profile.path})")
        for key in ("issuer", "token_endpoint", "registration_endpoint"):
            value = getattr(profile.server, key, None)
            if value:
                lines.append(f"  {key}: {value}")
        lines.append("  main clients: " + ", ".join(
            f"{label} ({c.auth_method})" for label, c in profile.main_clients.items()))
        lines += [f"  warning: {warning}" for warning in profile.warnings]
    return lines
