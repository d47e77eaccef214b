"""The clients of a profile: ``[main_clients.<label>]``, ``[introspector]``, ``[unlisted_client]``
and ``[management_client]``, each checked against what its authentication method needs
(RFC 6749 §2.3.1, RFC 7523 §2.2, RFC 8705 §2)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from conformance.vocabulary import AUTH_METHODS, JWT_METHODS, MTLS_METHODS, SHARED_SECRET_METHODS

from .keys import KeyReader
from .model import ClientConfig
from .schema import CLIENT_KEYS, CLIENT_SECRET_JWT_ALGS, LABEL, PRIVATE_KEY_JWT_ALGS, toml_type


class ClientReader(KeyReader):
    """Reads the client tables, with their secrets, keys and certificates."""

    def main_clients(self, data: Mapping[str, Any]) -> dict[str, ClientConfig]:
        tbl = self.table(data, "main_clients", required=True)
        if tbl is None:
            return {}
        if not tbl:
            self.error("main_clients", "no main client; add at least one [main_clients.<label>] table")
        clients = {}
        for label, entry in tbl.items():
            prefix = f"main_clients.{label}"
            if not LABEL.match(label):
                self.error(
                    prefix,
                    "labels may use letters, digits, '_', '-' and '.' only (they appear in test ids)",
                )
            if not isinstance(entry, dict):
                self.error(prefix, f"expected a table [{prefix}], got {toml_type(entry)}")
                continue
            client = self.client(entry, prefix, label)
            if client is not None:
                clients[label] = client
        return clients

    def client(self, tbl: dict[str, Any] | None, prefix: str, label: str) -> ClientConfig | None:
        if tbl is None:
            return None
        self.check_keys(tbl, prefix, CLIENT_KEYS)
        count = len(self.problems)
        v = {k: self.get(tbl, prefix, k, CLIENT_KEYS, required=k in ("client_id", "auth_method")) for k in CLIENT_KEYS}
        method = v["auth_method"]
        if method is not None and method not in AUTH_METHODS:
            close = difflib.get_close_matches(method, AUTH_METHODS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.error(
                f"{prefix}.auth_method",
                f"unsupported {method!r}; "
                f"{hint}supported: {', '.join(AUTH_METHODS)}",
            )
            method = None

        secret = self.client_secret(tbl, prefix, v)
        if method is not None:
            self.check_method(tbl, prefix, method)
        alg, kid = v["alg"], v["kid"]
        if method == "private_key_jwt" and v["private_key"] is not None:
            alg, kid = self.jwt_key(prefix, v["private_key"], alg, kid, "alg" in tbl)
        elif method == "private_key_jwt" and alg is not None and alg not in PRIVATE_KEY_JWT_ALGS:
            self.error(
                f"{prefix}.alg",
                f"{alg!r} is not supported for private_key_jwt; "
                f"use one of: {', '.join(PRIVATE_KEY_JWT_ALGS)}",
            )
        elif method == "client_secret_jwt":
            alg = alg or "HS256"
            if alg not in CLIENT_SECRET_JWT_ALGS:
                self.error(f"{prefix}.alg", f"{alg!r} is not supported for client_secret_jwt; use HS256")
            elif secret is not None and len(secret.encode("utf-8")) < 32:
                self.warnings.append(
                    f"{self.file}: {prefix}.client_secret: the secret is shorter than 32 bytes; "
                    "RFC 7518 §3.2 requires an HS256 key of at least 256 bits, so servers may reject it"
                )
        elif method in MTLS_METHODS:
            self.tls_pair(prefix, "certificate", "private_key", v)
            self.tls_pair(prefix, "other_certificate", "other_private_key", v)
            self.tls_pair(prefix, "untrusted_certificate", "untrusted_private_key", v)

        if len(self.problems) > count or method is None:
            return None
        return ClientConfig(
            label=label,
            client_id=v["client_id"],
            auth_method=method,
            client_secret=secret,
            certificate=v["certificate"],
            private_key=v["private_key"],
            other_certificate=v["other_certificate"],
            other_private_key=v["other_private_key"],
            untrusted_certificate=v.get("untrusted_certificate"),
            untrusted_private_key=v.get("untrusted_private_key"),
            alg=alg,
            kid=kid,
        )

    def client_secret(self, tbl: Mapping[str, Any], prefix: str, v: dict[str, Any]) -> str | None:
        if "client_secret" in tbl and "client_secret_file" in tbl:
            self.error(
                f"{prefix}.client_secret_file",
                "give either client_secret or client_secret_file, not both",
            )
            return None
        if v["client_secret"] is not None:
            raw = tbl["client_secret"]
            if not re.fullmatch(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", raw):
                self.warnings.append(
                    f"{self.file}: {prefix}.client_secret: a literal secret is stored in the profile; "
                    f'prefer client_secret = "${{VARIABLE}}" or client_secret_file'
                )
            if not v["client_secret"]:
                self.error(f"{prefix}.client_secret", "is empty; give the client's secret")
                return None
            self.secrets.append(v["client_secret"])
            return v["client_secret"]
        if v["client_secret_file"] is not None:
            try:
                secret = v["client_secret_file"].read_text(encoding="utf-8").rstrip("\r\n")
            except (OSError, UnicodeDecodeError) as exc:
                self.error(
                    f"{prefix}.client_secret_file",
                    f"cannot read {v['client_secret_file']}: {exc.__class__.__name__}",
                )
                return None
            if not secret:
                self.error(
                    f"{prefix}.client_secret_file",
                    f"{v['client_secret_file']} is empty; "
                    "write the secret into it",
                )
                return None
            self.secrets.append(secret)
            return secret
        return None

    def check_method(self, tbl: Mapping[str, Any], prefix: str, method: str) -> None:
        has_secret = "client_secret" in tbl or "client_secret_file" in tbl
        needs_secret = method in SHARED_SECRET_METHODS
        if needs_secret and not has_secret:
            self.error(
                f"{prefix}.client_secret",
                'missing; '
                f'{method} needs the client\'s secret: client_secret = "${{VARIABLE}}" or client_secret_file = "path"',
            )
        if not needs_secret and has_secret:
            key = "client_secret" if "client_secret" in tbl else "client_secret_file"
            self.error(f"{prefix}.{key}", f"{method} does not use a client secret; remove it")
        if method in MTLS_METHODS:
            for key in ("certificate", "private_key"):
                if key not in tbl:
                    self.error(
                        f"{prefix}.{key}",
                        "missing; "
                        f"{method} needs the client certificate and its private key (RFC 8705 §2): "
                        f"add {CLIENT_KEYS[key][1]}",
                    )
        elif method == "private_key_jwt":
            if "private_key" not in tbl:
                self.error(
                    f"{prefix}.private_key",
                    'missing; '
                    'private_key_jwt needs the signing key: '
                    'private_key = "keys/main-jwt.pem" (PEM or private JWK JSON)',
                )
            if "certificate" in tbl:
                self.error(f"{prefix}.certificate", "private_key_jwt does not use a certificate; remove it")
        else:
            for key in ("certificate", "private_key"):
                if key in tbl:
                    self.error(f"{prefix}.{key}", f"{method} does not use {key}; remove it")
        if method not in MTLS_METHODS:
            for key in ("other_certificate", "other_private_key", "untrusted_certificate", "untrusted_private_key"):
                if key in tbl:
                    self.error(
                        f"{prefix}.{key}",
                        f"only mTLS methods ({', '.join(MTLS_METHODS)}) use {key}; "
                        "remove it",
                    )
        if method not in JWT_METHODS:
            for key in ("alg", "kid"):
                if key in tbl:
                    self.error(
                        f"{prefix}.{key}",
                        f"{method} signs nothing; "
                        f"{key} applies to {' and '.join(JWT_METHODS)} only; "
                        "remove it",
                    )
