"""The protocol's fixed words: client authentication methods, scopes, the JWT assertion type.

One module every layer imports (profile, client, checks, fuzzing, SDK grading and the reference
server alike); it imports nothing of the package. Only values the specifications or the
deployment's product fix belong here; what a deployment chooses (its template, its ``[use]``
scope, its endpoints) comes from the profile.
"""

from __future__ import annotations

# -- token endpoint client authentication (RFC 8414 §2 token_endpoint_auth_methods_supported) -----

#: The client secret sent as a password: HTTP Basic or the form body (RFC 6749 §2.3.1).
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
#: A signed JWT assertion: HMAC with the client secret, or the client's private key (RFC 7523 §2.2).
JWT_METHODS = ("client_secret_jwt", "private_key_jwt")
#: The client certificate in the TLS handshake: PKI-issued or self-signed (RFC 8705 §2).
MTLS_METHODS = ("tls_client_auth", "self_signed_tls_client_auth")
#: Every method a main client may use, in this order in messages and metadata.
AUTH_METHODS = SECRET_METHODS + JWT_METHODS + MTLS_METHODS
#: Methods a dynamic client may be given by its template (the suite registers no mTLS client).
DYNAMIC_AUTH_METHODS = SECRET_METHODS + JWT_METHODS
#: Methods whose client holds a ``client_secret``, so registration must return one (RFC 7591 §3.2.1):
#: the secret methods and ``client_secret_jwt`` (the secret is its HMAC key).
SHARED_SECRET_METHODS = SECRET_METHODS + ("client_secret_jwt",)
#: ``none``: a public client that does not authenticate (RFC 7591 §2).
NO_CLIENT_AUTH = "none"
#: Every ``token_endpoint_auth_method`` value the suite knows, ``none`` included.
REGISTRABLE_AUTH_METHODS = AUTH_METHODS + (NO_CLIENT_AUTH,)

#: ``client_assertion_type`` of JWT client authentication (RFC 7523 §2.2).
JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# -- scopes ----------------------------------------------------------------------------------------

#: The scope of the one-shot initial access token that lets a main client register (Curity "Using DCR").
DCR_SCOPE = "dcr"
#: The scope of a Curity management client's token: RFC 7592 management of every dynamic client.
DCRM_SCOPE = "dcrm"
#: Curity's Hypermedia Authentication API scope, what the HAAPI template grants dynamic clients.
HAAPI_SCOPE = "urn:se:curity:scopes:haapi"
