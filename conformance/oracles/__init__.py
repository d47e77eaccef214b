"""The oracles: everything that decides whether a server's answer conforms.

This is the one place to read to know what the suite believes the specifications say. Each
oracle is written from the RFCs (and Curity's documented behaviour), never from the reference
server, and accepts every answer the specs allow. The checks (``conformance.suite``) and the
fuzzing properties (``conformance.fuzz``) send requests through ``conformance.client`` and hand
the answers here; this package imports only the client layer, the requirements and the profile
(never the server, pytest, the checks or the fuzzing).

* :mod:`.failures`: ``CheckFailure`` / ``PrerequisiteFailure``, SHOULD findings (RFC 2119 §3)
  and how evidence is rendered in a failure message;
* :mod:`.expect`: the generic expectations: HTTP status, JSON object body, error codes
  (RFC 6749 §5.2, RFC 7591 §3.2.2), refusals, ``WWW-Authenticate`` (RFC 6750 §3), no-store;
* :mod:`.token_response`: a successful token response (RFC 6749 §5.1) and scope strings (§3.3);
* :mod:`.metadata`: an authorization server metadata answer (RFC 8414 §3);
* :mod:`.registration`: what a registration may be answered (RFC 7591 §2, §3.2; RFC 7592 §2.1),
  the acceptance model of fuzzed registrations and ``not_created``;
* :mod:`.registration_faults`: the vocabulary of fuzzed registrations the model judges
  (fault tags, ``Mutation``, ``RawBody``, ``Payload``);
* :mod:`.client_assertion`: the acceptance model of JWT client assertions (RFC 7523 §3,
  RFC 7521 §4.2, RFC 7519 §4.1, RFC 7515 §4.1) and its ``Perturbation`` vocabulary.
"""
