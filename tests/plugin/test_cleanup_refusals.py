"""The cleanup names a DELETE the server refuses as RFC 7592 §2.3 allows: 405 (delete not
supported) and 403 (the client not allowed to delete itself) leave the client listed, with why."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.harness.cleanup import delete_clients


@dataclass
class Dyn:
    client_id: str
    deleted: bool = False
    registration_client_uri: str = "https://as.example/register/x"


@dataclass
class Answer:
    status: int
    error: str | None = None


class Claims:
    registration_management = True
    management_clients = False


class Profile:
    name = "p"
    claims = Claims()
    management_client = None


@pytest.mark.parametrize(("status", "reason"), [
    (405, "delete not supported: DELETE answered HTTP 405"),
    (403, "the client is not allowed to delete itself: DELETE answered HTTP 403"),
    (500, "DELETE answered HTTP 500"),
])
def test_a_refused_delete_leaves_the_client_listed_with_the_reason(status, reason):
    class Session:
        def delete(self, dyn):
            return Answer(status)

        def was_deleted(self, dyn):
            return False

    left = delete_clients([(Session(), Profile(), Dyn("a"))], keep=False, redact=str)
    assert left == [{"profile": "p", "client_id": "a", "reason": reason}]
