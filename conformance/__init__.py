"""dcr-conformance: conformance suite for the OAuth 2.0 DCR fallback of mobile apps."""

__version__ = "0.1.0"
