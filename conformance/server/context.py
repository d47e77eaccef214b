"""What every endpoint module works with: configuration, store, active defect and variants, clock,
nonces, and the HAAPI flows in progress."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from cryptography import x509

from .config import ServerConfig
from .defects import ActiveDefects
from .dpop import NonceIssuer
from .flows import FlowState
from .store import Store
from .variants import ActiveVariants


@dataclass
class Context:
    config: ServerConfig
    store: Store
    defects: ActiveDefects
    ca_cert: x509.Certificate  # the CA that issues tls_client_auth certificates
    nonces: NonceIssuer
    clock: Callable[[], float] = time.time
    # Only for the registration-secret-reused defect: one secret per template.
    shared_secrets: dict[str, str] = field(default_factory=dict)
    # Only for the introspection-signature-not-verified defect: a JWT access token by its header.payload.
    tokens_by_signing_input: dict[str, str] = field(default_factory=dict)
    flows: FlowState = field(default_factory=FlowState)  # HAAPI logins and authorization codes
    lock: threading.Lock = field(default_factory=threading.Lock)
    variants: ActiveVariants = field(default_factory=ActiveVariants)  # conformant variants (.variants)

    @property
    def settings(self):
        return self.config.settings

    def now(self) -> float:
        return self.clock()
