"""The embedded reference DCR server: HTTPS on loopback, RFC-conformant, with named defects.

``ReferenceServer`` starts it in-process (see :mod:`conformance.server.reference`);
``DEFECTS`` lists the deliberate non-conformances one can switch on, ``VARIANTS`` the conformant
answers that differ from the default (several at once). Never imports the suite or the client
(docs/design.md).
"""

from .defects import DEFECTS, Defect
from .reference import ReferenceServer
from .variants import VARIANTS, Variant

__all__ = ["DEFECTS", "Defect", "ReferenceServer", "VARIANTS", "Variant"]
