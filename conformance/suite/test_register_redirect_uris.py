"""RFC 7591 §2 ``redirect_uris``: a server registering clients for redirect-based flows supports the
member, so a registration naming a redirection URI the profile allows comes back with the client's
redirection URIs."""

from __future__ import annotations

from conformance.oracles.expect import expect, fail
from conformance.oracles.registration import REDIRECT_GRANTS
from conformance.suite import steps
from conformance.suite.check import check, not_applicable
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_SUPPORT = ("RFC 7591 §2", "MUST", "Authorization servers that support dynamic registration for redirect-based flows "
            "MUST implement support for this metadata value.")

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-REG-019": (
        ok("201 whose redirect_uris hold the URI sent, or values the server put in its place (a non-empty array of "
           "strings)", "RFC 7591 §3.2.1", "MAY", "The authorization server MAY reject or replace any of the client's "
           "requested metadata values submitted during the registration and substitute them with suitable values."),
        ok("not applicable when the profile's grant types have no redirect-based flow, or it names no redirect URI",
           *_SUPPORT),
        no("the profile's own redirect URI refused, or the client registered without redirect_uris", *_SUPPORT),
    ),
})


@check("DCR-REG-019", "RFC7591-2-d", per_profile=True)
def test_redirect_uris_are_registered(dcr_session, profile, new_initial_token):
    """A registration naming a redirect URI of the profile is answered with the client's redirect_uris."""
    # RFC 7591 §2: grant_types "If omitted, the default behavior is that the client will use only
    # the "authorization_code" Grant Type."
    grants = profile.registration.grant_types or profile.template.grant_types or ("authorization_code",)
    if not REDIRECT_GRANTS & set(grants):
        not_applicable(f"the profile's grant types {list(grants)} have no redirect-based flow")
    uris = profile.registration.redirect_uris or profile.template.redirect_uris
    if not uris:
        not_applicable("the profile names no redirect URI ([registration] or [template] redirect_uris)")
    sent = [uris[0]]
    what = f"registration with redirect_uris {sent!r}"
    dyn, ex = dcr_session.register(new_initial_token(), {"redirect_uris": sent})
    body = ex.json() if isinstance(ex.json(), dict) else {}
    if ex.status == 400 and body.get("error") in ("invalid_redirect_uri", "invalid_client_metadata"):
        fail(f"{what}: the profile's own redirect URI was refused ({body.get('error')})",
             "the client registered with redirection URIs", ex)
    steps.registration_answer(dcr_session, dyn, ex)  # any other failed registration is DCR-REG-001's: it blocks
    registered = body.get("redirect_uris")
    expect(isinstance(registered, list) and registered and all(isinstance(u, str) and u for u in registered),
           f"{what}: the client information holds redirect_uris {registered!r}",
           "a non-empty array of redirection URIs (the sent one, or values the server put in its place)", ex)
