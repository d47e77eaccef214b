"""The former name of :mod:`conformance.sdk.pytest_plugin`: ``-p conformance.sdk.kit`` keeps working."""

from conformance.sdk.pytest_plugin import KitServer, assert_client_conforms, dcr_server, pytest_configure

__all__ = ["KitServer", "assert_client_conforms", "dcr_server", "pytest_configure"]
