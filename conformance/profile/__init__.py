"""Profiles: one TOML file per deployment under test (contract: ``docs/profiles.md``).

:func:`load_profile` reads and checks a profile before any request is made. Every mistake in a
file is collected and reported together as one :class:`ProfileError`; each problem names the
file, the dotted key (``main_clients.jwt.alg``) and the fix. ``${VAR}`` in any string value is
read from the environment (``$${`` gives a literal ``${``); paths are relative to the profile
file. Endpoints may be omitted when ``server.issuer`` is given: they are discovered at run time
(RFC 8414, ``conformance.client.discovery.discover``).

This package is shared by the client, the checks and the reference server, so it depends on
nothing else in the package but :mod:`conformance.vocabulary`. Its modules: ``model`` (the
dataclasses and :class:`ProfileError`), ``schema`` (the keys of each table, their kinds and fix
hints), ``reader`` (typed values, ``${VAR}``, URLs, paths), ``keys`` (PEM certificates, PEM keys,
private JWKs), ``clients`` (the client tables), ``registration`` (``[registration]``: what the app sends), ``loader`` (:func:`load_profile` and the sections).
"""

from .loader import load_profile
from .model import (Claims, ClientConfig, CodeFlowSection, GraphqlSection, Profile, ProfileError, ProfileProblem,
                    RegistrationSection, ServerSection, TemplateSection, UseSection)
from .schema import CLIENT_SECRET_JWT_ALGS, PRIVATE_KEY_JWT_ALGS

__all__ = [
    "CLIENT_SECRET_JWT_ALGS", "PRIVATE_KEY_JWT_ALGS", "Claims", "ClientConfig", "CodeFlowSection", "GraphqlSection",
    "Profile", "ProfileError", "ProfileProblem", "RegistrationSection", "ServerSection", "TemplateSection", "UseSection", "load_profile",
]
