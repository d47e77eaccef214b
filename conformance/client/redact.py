"""Secret redaction for captured exchanges.

Two layers, applied at capture time (before anything is stored or printed):

1. **Known values.** Every value given to :meth:`Redactor.add_secret` (profile secrets, tokens,
   dynamic client secrets, ...) is replaced wherever it appears in any text, together with its
   URL-encoded and JSON-escaped forms.
2. **Keys.** Headers (``Authorization``, ``DPoP``, ``Cookie``, ``Set-Cookie``), form / JSON / query
   fields (``client_secret``, ``client_assertion``, tokens, ``code``, private JWK members) and PEM
   private key blocks are masked whatever their value. Values seen under those keys are learnt as
   known secrets (:meth:`Redactor.learn_json`, :meth:`Redactor.learn_form`), so a later echo of
   the same value elsewhere is masked too.

The marker is ``[redacted:xxxxxxxx]``, where ``xxxxxxxx`` are the first 8 hex digits of the
SHA-256 of the value: two different secrets can be told apart, the value cannot be recovered.

Redaction is **idempotent**: text is redacted at capture and again on its way into each report, so
a marker is never masked again (a field, header or known value that already reads
``[redacted:xxxxxxxx]`` stays as it is) and one value has one fingerprint in every output.
Text cut for display is cut after redaction, never inside a marker (:func:`cut`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

#: Form, JSON and query fields whose values are always masked.
SENSITIVE_FIELDS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "access_token",
        "refresh_token",
        "registration_access_token",
        "initial_access_token",
        "token",
        "id_token",
        "code",
        "password",
        "assertion",
    }
)
#: Private members of a JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
#: Headers whose values are always masked.
SENSITIVE_HEADERS = frozenset({"authorization", "dpop", "cookie", "set-cookie", "proxy-authorization"})

#: Known values shorter than this are only masked by key (replacing "abc" everywhere garbles text).
MIN_SECRET_LENGTH = 4
#: Known forms at least this long are found by looking at every ``_STRIDE``-th position of a text
#: only (see :meth:`Redactor._replace_known`); shorter ones at every position.
_STRIDE = 12
_LONG_FORM = _STRIDE + MIN_SECRET_LENGTH - 1

_ALL_KEYS = SENSITIVE_FIELDS | PRIVATE_JWK_MEMBERS
_JSON_PAIR = re.compile(
    r'"(?P<key>' + "|".join(sorted(map(re.escape, _ALL_KEYS), key=len, reverse=True)) + r')"'
    r'(?P<sep>\s*:\s*)"(?P<value>(?:[^"\\]|\\.)*)"'
)
_PEM_PRIVATE = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY)-----.*?-----END (?P=label)-----", re.DOTALL
)
_AUTH_SCHEME = re.compile(r"^\s*(?P<scheme>[A-Za-z][A-Za-z0-9._~+/-]*)\s+(?P<creds>\S.*)$", re.DOTALL)
#: A marker as :func:`marker` writes it.
MARKER = re.compile(r"\[redacted:[0-9a-f]{8}\]")
_MARKER_LENGTH = len("[redacted:01234567]")
#: A value that is nothing but markers: masking it again would only hash a marker.
_ONLY_MARKERS = re.compile(r"\s*(?:\[redacted:[0-9a-f]{8}\]\s*)+")
#: Masked ``Authorization`` credentials as :func:`_mask_authorization` writes them.
_MASKED_CREDS = re.compile(r"\[redacted:[0-9a-f]{8}\](?: \(client_id=[^\n]*\))?")


def fingerprint(value: str | bytes) -> str:
    """First 8 hex digits of SHA-256(value): tells two secrets apart without revealing either."""
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return hashlib.sha256(data).hexdigest()[:8]


def marker(value: str | bytes) -> str:
    """The text that replaces ``value``: ``[redacted:<fingerprint>]``."""
    return f"[redacted:{fingerprint(value)}]"


def is_redacted(value: str) -> bool:
    """True if ``value`` is nothing but markers (and spaces): it holds no secret left to mask."""
    return isinstance(value, str) and _ONLY_MARKERS.fullmatch(value) is not None


def mask(value: str) -> str:
    """The marker of ``value``, or ``value`` itself if it already is one (idempotence)."""
    return value if is_redacted(value) else marker(value)


def cut(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to about ``limit`` characters, never inside a marker; and how many were dropped.

    Cut only text that is already redacted: cutting first could split a secret so that its first
    part no longer matches anything the redactor knows.
    """
    if len(text) <= limit:
        return text, 0
    for found in MARKER.finditer(text, max(0, limit - _MARKER_LENGTH), limit + _MARKER_LENGTH):
        if found.start() < limit < found.end():
            limit = found.end()  # keep the whole marker
    return text[:limit], len(text) - limit


class Redactor:
    """Replaces secrets in captured text. Thread-safe; one per :class:`~conformance.client.http.Transport`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._variants: dict[str, str] = {}  # text as it may appear -> marker of the original value
        self._learnt: set[str] = set()  # the values given to add_secret, all of whose forms are known
        # How a known form is found in a text (a reader needs no lock: ``_index``, which readers
        # iterate, is replaced, never mutated; ``_grams``, which readers only look up, gets new keys
        # and new value tuples in place, atomic under the GIL, so learning a secret costs the
        # secret, not a copy of everything known):
        # * a form shorter than _LONG_FORM: its first MIN_SECRET_LENGTH characters -> the lengths
        #   of the short forms starting so, longest first (looked up at every position of a text);
        # * a longer form: each of its first _STRIDE positions o -> (the MIN_SECRET_LENGTH
        #   characters at o) -> (o, length) pairs. Any occurrence of the form covers a position of
        #   the text that is a multiple of _STRIDE, at some o < _STRIDE of the form: looking at
        #   those positions only finds every occurrence, with 1/_STRIDE of the lookups.
        self._index: dict[str, tuple[int, ...]] = {}
        self._grams: dict[str, tuple[tuple[int, int], ...]] = {}
        for value in secrets:
            self.add_secret(value)

    def __repr__(self) -> str:
        return f"<Redactor with {len(self._variants)} known forms of secrets>"

    # -- learning ------------------------------------------------------------------------------

    def add_secret(self, value: str | None) -> None:
        """Mask every later occurrence of ``value`` (and of its URL-encoded / JSON-escaped forms)."""
        if not isinstance(value, str) or value in self._learnt or len(value) < MIN_SECRET_LENGTH \
                or is_redacted(value):
            return  # known already (most are: the main client's secret is sent with every request)
        mark = marker(value)
        forms = {value, quote_plus(value, safe=""), quote(value, safe=""), json.dumps(value)[1:-1]}
        with self._lock:
            new = [f for f in forms if f not in self._variants and len(f) >= MIN_SECRET_LENGTH]
            if not new:
                self._learnt.add(value)
                return
            index, grams = self._index, self._grams
            for form in new:
                self._variants[form] = mark
                size = len(form)
                if size < _LONG_FORM:
                    if index is self._index:
                        index = dict(index)  # copied once per call, published below
                    head = form[:MIN_SECRET_LENGTH]
                    lengths = index.get(head, ())
                    if size not in lengths:
                        index[head] = tuple(sorted((*lengths, size), reverse=True))
                    continue
                for offset in range(_STRIDE):
                    gram = form[offset:offset + MIN_SECRET_LENGTH]
                    entries = grams.get(gram, ())
                    if (offset, size) not in entries:
                        grams[gram] = (*entries, (offset, size))
            self._index = index
            self._learnt.add(value)  # only once every form is published (a caller seeing it returns at once)

    def learn_json(self, obj: object) -> None:
        """Learn the string values found under sensitive keys anywhere in a JSON document (walked
        without recursion: a server's answer may nest as deep as its parser allowed)."""
        pending = [obj]
        while pending:
            node = pending.pop()
            if isinstance(node, Mapping):
                for key, value in node.items():
                    if isinstance(key, str) and key.lower() in _ALL_KEYS and isinstance(value, str):
                        self.add_secret(value)
                    elif isinstance(value, (Mapping, list)):
                        pending.append(value)
            elif isinstance(node, list):
                pending.extend(item for item in node if isinstance(item, (Mapping, list)))

    def learn_form(self, items: Iterable[tuple[str, str]]) -> None:
        """Learn the values of sensitive fields of a form or query string."""
        for key, value in items:
            if key.lower() in SENSITIVE_FIELDS:
                self.add_secret(value)

    def learn_authorization(self, value: str) -> None:
        """Learn the credentials of an ``Authorization`` header (the token, or the Basic secret)."""
        match = _AUTH_SCHEME.match(value)
        if not match:
            self.add_secret(value.strip())
            return
        creds = match["creds"].strip()
        self.add_secret(creds)
        if match["scheme"].lower() == "basic":
            decoded = decode_basic(creds)
            if decoded:
                self.add_secret(decoded[1])

    # -- redaction -----------------------------------------------------------------------------

    def redact_text(self, text: str) -> str:
        """Mask PEM private keys, sensitive ``"key": "value"`` pairs and every known secret."""
        if not text:
            return text
        text = _PEM_PRIVATE.sub(lambda m: marker(m.group(0)), text)
        text = _JSON_PAIR.sub(self._mask_json_pair, text)
        return self._replace_known(text)

    def redact_json(self, obj: object) -> object:
        """A copy of a JSON value with sensitive members and known secrets masked."""
        return self._redact_json(obj, in_jwk=False)

    def redact_form(self, body: str) -> str:
        """Mask the values of sensitive fields of an urlencoded form, keeping its layout."""
        parts = []
        for part in body.split("&"):
            key, sep, value = part.partition("=")
            if sep and unquote_plus(key).lower() in SENSITIVE_FIELDS:
                part = f"{key}={mask(unquote_plus(value))}"
            parts.append(part)
        return self._replace_known("&".join(parts))

    def redact_url(self, url: str) -> str:
        """Mask URL userinfo, sensitive query parameters and known secrets."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.redact_text(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            netloc = f"{mask(userinfo)}@{host}"
        query = self.redact_form(parts.query) if parts.query else parts.query
        return self._replace_known(urlunsplit(parts._replace(netloc=netloc, query=query)))

    def redact_headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Mask sensitive headers (keeping the ``Authorization`` scheme) and known secrets."""
        out = []
        for name, value in headers:
            lname = name.lower()
            if lname in ("authorization", "proxy-authorization"):
                value = _mask_authorization(value)
            elif lname in SENSITIVE_HEADERS:
                value = mask(value)
            out.append((name, self._replace_known(value)))
        return out

    def redact_body(self, text: str, content_type: str | None) -> str:
        """Redact a body by its content type: form fields by key, anything else as text."""
        ctype = (content_type or "").split(";")[0].strip().lower()
        if ctype == "application/x-www-form-urlencoded":
            return self.redact_form(text)
        return self.redact_text(text)

    # -- internals -----------------------------------------------------------------------------

    def _redact_json(self, obj: object, *, in_jwk: bool) -> object:
        if isinstance(obj, Mapping):
            is_jwk = "kty" in obj
            out = {}
            for key, value in obj.items():
                lkey = str(key).lower()
                sensitive = lkey in SENSITIVE_FIELDS or (lkey in PRIVATE_JWK_MEMBERS and is_jwk)
                if sensitive and value is not None and not isinstance(value, (bool, int, float)):
                    out[key] = mask(value) if isinstance(value, str) else marker(json.dumps(value))
                else:
                    out[key] = self._redact_json(value, in_jwk=is_jwk)
            return out
        if isinstance(obj, list):
            return [self._redact_json(item, in_jwk=in_jwk) for item in obj]
        if isinstance(obj, str):
            return self.redact_text(obj)
        return obj

    @staticmethod
    def _mask_json_pair(match: re.Match[str]) -> str:
        raw = match["value"]
        try:
            value = json.loads(f'"{raw}"')
        except ValueError:
            value = raw
        return f'"{match["key"]}"{match["sep"]}"{mask(value)}"'

    def _replace_known(self, text: str) -> str:
        """Replace every known form of a secret, longest match first, in one pass over ``text``.

        A marker already in ``text`` is stepped over (a known value is never looked for inside
        one), unless a known value starts where it starts.

        First every occurrence of a known form is listed (see ``_index`` and ``_grams``; a
        candidate is compared in full before it counts), then the text is walked from left to
        right: at each start the longest form wins, and what it covers is not looked at again.
        Most texts hold no known secret: they cost one lookup per ``_STRIDE`` characters (and one
        per character while short known forms exist).
        """
        index, grams, variants = self._index, self._grams, self._variants
        size = MIN_SECRET_LENGTH
        if (not index and not grams) or len(text) < size:
            return text
        found: dict[int, int] = {}  # start -> the longest known form starting there
        if grams:
            last = len(text) - size
            for at in range(0, last + 1, _STRIDE):
                entries = grams.get(text[at:at + size])
                if entries is None:
                    continue
                for offset, length in entries:
                    start = at - offset
                    if start >= 0 and length > found.get(start, 0) and text[start:start + length] in variants:
                        found[start] = length
        if index:
            # A few short forms: str.find for each (in C); many: one set of the text's substrings.
            heads = index.keys() if len(index) <= _STRIDE else \
                index.keys() & {text[i : i + size] for i in range(len(text) - size + 1)}
            for head in heads:
                at = text.find(head)
                while at >= 0:
                    for length in index[head]:
                        if length <= found.get(at, 0):
                            break
                        if text[at : at + length] in variants:
                            found[at] = length
                            break
                    at = text.find(head, at + 1)
        if not found:
            return text
        markers = {m.start(): m.end() for m in MARKER.finditer(text)}
        out: list[str] = []
        start = 0  # text[start:] is not copied yet, and no replacement starts before it
        for at in sorted(found.keys() | markers.keys()):
            if at < start:
                continue
            length = found.get(at)
            if length is not None:
                out += (text[start:at], variants[text[at : at + length]])
                start = at + length
            else:
                out.append(text[start : markers[at]])
                start = markers[at]
        out.append(text[start:])
        return "".join(out)


def decode_basic(creds: str) -> tuple[str, str] | None:
    """RFC 7617 credentials, form-urlencoded per RFC 6749 App. B; None if not decodable."""
    try:
        raw = base64.b64decode(creds, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = raw.partition(":")
    if not sep:
        return None
    return unquote_plus(user), unquote_plus(password)


def _mask_authorization(value: str) -> str:
    """``Basic [redacted:..] (client_id=x)`` / ``Bearer [redacted:..]``: scheme kept, credentials masked."""
    match = _AUTH_SCHEME.match(value)
    if not match:
        return mask(value)
    scheme, creds = match["scheme"], match["creds"].strip()
    if _MASKED_CREDS.fullmatch(creds):
        return value  # masked already
    masked = f"{scheme} {marker(creds)}"
    if scheme.lower() == "basic":
        decoded = decode_basic(creds)
        if decoded:
            masked += f" (client_id={decoded[0]})"
    return masked
