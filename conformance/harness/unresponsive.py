"""Unresponsive endpoints fail fast: after a few consecutive timeouts or connection failures on
one endpoint (its URL without the query), every further request to it fails at once, with the
evidence "endpoint unresponsive since <time> (N timeouts)" instead of waiting out its budget again.

One :class:`EndpointWatch` per run and process; :class:`GuardedTransport` is the profile's
transport with the watch in front of ``send``. An answer, even an error status, resets the count
of an endpoint that is not yet marked.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from conformance.client.http import CONNECTION, TIMEOUT, CapturedRequest, Exchange, RequestSpec, Transport

DEFAULT_UNRESPONSIVE_AFTER = 3
#: Failures that count: the endpoint did not answer at all.
_SILENT = (TIMEOUT, CONNECTION)


def endpoint_of(url: str) -> str:
    """The endpoint a URL names: scheme, host, port and path (no query, no fragment)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@dataclass
class Unresponsive:
    endpoint: str
    since: str  # UTC, ISO 8601 to the second
    failures: int
    timeouts: int
    last_error: str

    def evidence(self) -> str:
        kinds = f"{self.timeouts} timeouts" if self.timeouts == self.failures else \
            f"{self.failures} timeouts or connection failures"
        return f"endpoint unresponsive since {self.since} ({kinds}; last: {self.last_error})"

    def as_dict(self) -> dict:
        return {"endpoint": self.endpoint, "since": self.since, "failures": self.failures,
                "timeouts": self.timeouts, "last_error": self.last_error}


class EndpointWatch:
    """Counts consecutive silent failures per endpoint; marks an endpoint after ``after`` of them."""

    def __init__(self, after: int = DEFAULT_UNRESPONSIVE_AFTER) -> None:
        self.after = max(1, int(after))
        self._lock = threading.Lock()
        self._streak: dict[str, list[Exchange]] = {}
        self.marked: dict[str, Unresponsive] = {}

    def blocked(self, url: str) -> Unresponsive | None:
        with self._lock:
            return self.marked.get(endpoint_of(url))

    def observe(self, url: str, exchange: Exchange) -> None:
        endpoint = endpoint_of(url)
        with self._lock:
            if endpoint in self.marked:
                return
            if exchange.failure not in _SILENT:
                self._streak.pop(endpoint, None)
                return
            streak = self._streak.setdefault(endpoint, [])
            streak.append(exchange)
            if len(streak) >= self.after:
                since = _dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(seconds=sum(e.elapsed_s for e in streak))
                self.marked[endpoint] = Unresponsive(
                    endpoint, since.isoformat(timespec="seconds").replace("+00:00", "Z"), len(streak),
                    sum(e.failure == TIMEOUT for e in streak), exchange.error or "")
                del self._streak[endpoint]

    def summary(self) -> list[dict]:
        with self._lock:
            return [m.as_dict() for m in self.marked.values()]


class GuardedTransport(Transport):
    """A :class:`Transport` whose requests to an unresponsive endpoint fail at once."""

    def __init__(self, *args, watch: EndpointWatch, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.watch = watch

    def send(self, spec: RequestSpec) -> Exchange:
        mark = self.watch.blocked(spec.url)
        if mark is None:
            exchange = super().send(spec)
            self.watch.observe(spec.url, exchange)
            return exchange
        captured = CapturedRequest(method=spec.method.upper(), url=self.redactor.redact_url(spec.url),
                                   headers=(), body="")
        exchange = Exchange(captured, None, mark.evidence(), 0.0, None, spec, failure=TIMEOUT)
        with self._lock:
            self.exchanges.append(exchange)
        return exchange
