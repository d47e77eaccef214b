"""What a negotiated TLS suite must give: confidentiality and integrity (RFC 8414 §6.1: "To protect
against information disclosure and tampering, confidentiality protection MUST be applied using TLS
with a ciphersuite that provides confidentiality and integrity protection").

Judged from the suite's OpenSSL name and secret size: no encryption (``NULL``, 0 secret bits)
gives no confidentiality; an anonymous key exchange (``ADH``, ``AECDH``, ``-anon``) authenticates
no server, so an active attacker in the middle reads and alters everything; an export-grade suite
(``EXP``, at most 56 secret bits) gives none worth the name. Every TLS 1.3 suite is an AEAD with
an authenticated handshake.
"""

from __future__ import annotations

from conformance.client.tls_probe import Negotiated

_EXPORT_BITS = 56


def unprotected(negotiated: Negotiated) -> str | None:
    """Why ``negotiated`` does not give confidentiality and integrity, or None when it does."""
    name = (negotiated.cipher or "").upper()
    parts = name.replace("_", "-").split("-")
    if not name:
        return "no cipher suite was negotiated"
    if "NULL" in parts or negotiated.secret_bits == 0:
        return f"{negotiated.cipher} encrypts nothing (no confidentiality)"
    if parts[0] in ("ADH", "AECDH") or "ANON" in parts:
        return f"{negotiated.cipher} is anonymous: no server is authenticated, so neither holds against an attacker"
    if any(p.startswith("EXP") for p in parts) or (negotiated.secret_bits is not None
                                                  and negotiated.secret_bits <= _EXPORT_BITS):
        return f"{negotiated.cipher} is export-grade ({negotiated.secret_bits}-bit secret)"
    return None
