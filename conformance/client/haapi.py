"""A small generic HAAPI walker: from the authorization URL to the authorization code.

Curity's Hypermedia Authentication API answers each request with a representation
(``application/vnd.auth+json``) whose ``type`` says what it is and whose ``actions`` say what to do
next (the HAAPI code flow, docs/sdk.md). :func:`walk` starts with ``GET`` of the authorization URL and then:

* ``oauth-authorization-response``: done, the code is ``properties.code``;
* a step with a ``form`` action (or a ``selector`` of forms): fill its ``fields`` by name from the
  profile's ``[code_flow.fields]`` (a field the server gives a ``value`` keeps it), and submit it
  as ``model.method`` to ``model.href`` (relative to the current URL), encoded as ``model.type``
  (``application/x-www-form-urlencoded`` by default, or ``application/json``); a form without
  fields (a redirection step, a continue button) is submitted as it is;
* anything else (a problem such as ``https://curity.se/problems/incorrect-credentials``, an error
  status, a step with no form to follow, a step seen before, or more than ``max_steps`` steps):
  :class:`HaapiFlowError`, carrying the exchange whose (redacted) answer shows why.

Every request carries the HAAPI access token as ``Authorization: DPoP`` and a fresh proof by its
key, retried once when the server asks for a nonce (RFC 9449 §9). A builder, not a check: the
caller decides what a failure means.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from conformance.client.code_flow import haapi_request
from conformance.client.http import MISSING, Exchange, RequestSpec, Transport
from conformance.client.jose import DpopKey
from conformance.client.use import send_with_nonce_retry

MAX_STEPS = 10
AUTHORIZATION_RESPONSE = "oauth-authorization-response"
FORM_URLENCODED = "application/x-www-form-urlencoded"


class HaapiFlowError(Exception):
    """The flow could not reach an authorization code; ``exchange`` is the last answer."""

    def __init__(self, message: str, exchange: Exchange | None) -> None:
        super().__init__(message)
        self.exchange = exchange


@dataclass
class HaapiResult:
    code: str
    state: str | None
    exchanges: list[Exchange] = field(default_factory=list)
    nonce: str | None = None  # the last DPoP-Nonce the server sent


@dataclass(frozen=True)
class _Submit:
    method: str
    url: str
    fields: dict[str, str]
    media_type: str


def walk(
    transport: Transport,
    url: str,
    access_token: str,
    dpop_key: DpopKey,
    fields: Mapping[str, str],
    *,
    nonce: str | None = None,
    max_steps: int = MAX_STEPS,
) -> HaapiResult:
    """Follow the representations from ``url`` to an authorization code (see the module text)."""
    request = _Submit("GET", url, {}, FORM_URLENCODED)
    exchanges: list[Exchange] = []
    seen: set[str] = set()
    for _ in range(max_steps):
        exchange, nonce = _send(transport, request, access_token, dpop_key, nonce)
        exchanges.append(exchange)
        body = _representation(exchange)
        kind = body.get("type")
        if kind == AUTHORIZATION_RESPONSE:
            return _result(transport, body, exchange, exchanges, nonce)
        shape = json.dumps({k: body.get(k) for k in ("type", "actions")}, sort_keys=True)
        if shape in seen:
            raise HaapiFlowError(f"the flow repeats a {kind!r} step it already showed (a loop)", exchange)
        seen.add(shape)
        request = _next(body, request.url, fields, exchange)
    raise HaapiFlowError(f"no {AUTHORIZATION_RESPONSE} after {max_steps} steps", exchanges[-1] if exchanges else None)


def _send(transport: Transport, submit: _Submit, token: str, key: DpopKey,
          nonce: str | None) -> tuple[Exchange, str | None]:
    url = submit.url
    form, body = None, MISSING
    if submit.method == "GET" and submit.fields:
        url += ("&" if urlsplit(url).query else "?") + urlencode(submit.fields)
    elif submit.method != "GET":
        if submit.media_type.split(";")[0].strip().lower() == "application/json":
            body = dict(submit.fields)
        else:
            form = dict(submit.fields)

    def build(current: str | None) -> RequestSpec:
        return haapi_request(submit.method, url, token, key, nonce=current, form=form, json=body)

    exchange = send_with_nonce_retry(transport, build, nonce)
    retried = exchange.retry_of  # its challenge holds the nonce the retry was sent with
    return exchange, exchange.header("DPoP-Nonce") or (retried and retried.header("DPoP-Nonce")) or nonce


def _representation(exchange: Exchange) -> dict:
    if exchange.error:
        raise HaapiFlowError(f"no HTTP answer ({exchange.error})", exchange)
    body = exchange.json()
    if not isinstance(body, dict):
        raise HaapiFlowError(f"HTTP {exchange.status}: the answer is not a HAAPI representation", exchange)
    kind = body.get("type")
    if exchange.status >= 400 or (isinstance(kind, str) and "://" in kind):  # RFC 7807 problem types are URIs
        what = kind or body.get("error") or "no type"
        title = body.get("title") or body.get("error_description") or ""
        raise HaapiFlowError(f"HTTP {exchange.status}: the server answered a problem: {what} {title}".rstrip(),
                             exchange)
    if not 200 <= exchange.status < 300:
        raise HaapiFlowError(f"HTTP {exchange.status}: not a HAAPI representation", exchange)
    return body


def _result(transport: Transport, body: dict, exchange: Exchange, exchanges: list[Exchange],
            nonce: str | None) -> HaapiResult:
    properties = body.get("properties") if isinstance(body.get("properties"), dict) else {}
    code = properties.get("code")
    if not isinstance(code, str) or not code:
        raise HaapiFlowError(f"the {AUTHORIZATION_RESPONSE} has no properties.code", exchange)
    transport.redactor.add_secret(code)
    state = properties.get("state")
    return HaapiResult(code, state if isinstance(state, str) else None, exchanges, nonce)


def _forms(actions: Any) -> list[dict]:
    """The form models of a step's actions, a selector's options included, in order."""
    forms = []
    for action in actions if isinstance(actions, list) else []:
        if not isinstance(action, dict):
            continue
        model = action.get("model")
        if action.get("template") == "form" and isinstance(model, dict) and isinstance(model.get("href"), str):
            forms.append(model)
        elif action.get("template") == "selector" and isinstance(model, dict):
            forms += _forms(model.get("options"))
    return forms


def _next(body: dict, base: str, values: Mapping[str, str], exchange: Exchange) -> _Submit:
    """The first form of the step whose fields can all be filled."""
    forms = _forms(body.get("actions"))
    if not forms:
        raise HaapiFlowError(f"a {body.get('type')!r} step with no form action to follow", exchange)
    missing: list[str] = []
    for model in forms:
        filled, lacking = _fill(model.get("fields"), values)
        if lacking:
            missing += [name for name in lacking if name not in missing]
            continue
        method = str(model.get("method") or "GET").upper()
        media_type = str(model.get("type") or FORM_URLENCODED)
        return _Submit(method, urljoin(base, model["href"]), filled, media_type)
    raise HaapiFlowError(f"the {body.get('type')!r} step asks for fields {', '.join(missing)}: "
                         "give them in the profile's [code_flow.fields]", exchange)


def _fill(fields: Any, values: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    filled, lacking = {}, []
    for spec in fields if isinstance(fields, list) else []:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            continue
        name = spec["name"]
        if name in values:
            filled[name] = values[name]
        elif isinstance(spec.get("value"), str):
            filled[name] = spec["value"]
        else:
            lacking.append(name)
    return filled, lacking
