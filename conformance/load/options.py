"""What one load run is (:class:`LoadOptions`), its safety caps and the loopback rule.

A load run may only reach loopback addresses (127.0.0.0/8, ::1, ``localhost``) unless every other
host it would load is repeated with ``--confirm-target HOST``. The device count and the rate are
capped by options with safe defaults; every run is bounded in time.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

#: Steps of a device, as named in Locust's statistics and in the ``[load.latency_ms]`` table.
STEPS = ("initial-token", "race-connect", "register", "register-replay", "device-token", "resource", "relaunch-token", "delete")

DEFAULT_DEVICES, DEFAULT_RATE = 50, 10.0
DEFAULT_MAX_DEVICES, DEFAULT_MAX_RATE = 1000, 100.0
DEFAULT_TIME_LIMIT_S = 300.0
MAX_RACE_CONNECTIONS = 8
MAX_WORKERS = 16


class UsageError(ValueError):
    """The command line asks for something the run refuses (exit status 2)."""


@dataclass
class LoadOptions:
    """A load run. ``profile=None``: the embedded reference server (``defect``, ``server_latency_ms``)."""

    profile: Path | None = None
    devices: int = DEFAULT_DEVICES
    rate: float = DEFAULT_RATE  # devices started per second (Locust's spawn rate)
    max_devices: int = DEFAULT_MAX_DEVICES
    max_rate: float = DEFAULT_MAX_RATE
    race_share: float = 0.1  # share of devices replaying their initial token concurrently
    race_connections: int = 3  # connections each racing device sends its token from at once
    relaunches: int = 1  # token requests with the stored client, without registering again
    resource: bool = True  # call [use] resource_url when the profile has one
    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    workers: int = 0  # local Locust worker processes (0: one process)
    report_dir: Path = Path("reports/load")
    objectives_file: Path | None = None
    confirm_target: list[str] = field(default_factory=list)
    defect: str | None = None
    server_latency_ms: float = 0.0
    cleanup_batch: int = 20
    cleanup_rate: float = 50.0  # deletes per second
    cleanup_timeout_s: float = 120.0
    # distributed over several machines (--master / --worker)
    master: bool = False
    expect_workers: int = 1
    master_bind_host: str = "127.0.0.1"
    master_port: int = 5557
    worker: bool = False
    master_host: str = "127.0.0.1"

    def check(self) -> None:
        """Raise :class:`UsageError` when the run is outside its caps."""
        if self.worker:
            return  # a worker takes the fleet's parameters from its master
        if self.devices < 1:
            raise UsageError("--devices must be at least 1")
        if self.devices > self.max_devices:
            raise UsageError(f"--devices {self.devices} exceeds the cap --max-devices {self.max_devices}; "
                             "raise the cap deliberately if the target is yours")
        if not 0 < self.rate <= self.max_rate:
            raise UsageError(f"--rate must be above 0 and at most --max-rate {self.max_rate:g} devices/s")
        if not 0 <= self.race_share <= 1:
            raise UsageError("--race-share must be between 0 and 1")
        if not 2 <= self.race_connections <= MAX_RACE_CONNECTIONS:
            raise UsageError(f"--race-connections must be between 2 and {MAX_RACE_CONNECTIONS}")
        if not 0 <= self.relaunches <= 10:
            raise UsageError("--relaunches must be between 0 and 10")
        if not 0 < self.time_limit_s <= 3600:
            raise UsageError("--time-limit must be above 0 and at most 3600 s")
        if not 0 <= self.workers <= MAX_WORKERS:
            raise UsageError(f"--workers must be between 0 and {MAX_WORKERS}")
        if self.cleanup_batch < 1 or self.cleanup_rate <= 0 or self.cleanup_timeout_s <= 0:
            raise UsageError("--cleanup-batch, --cleanup-rate and --cleanup-timeout must be positive")
        if self.profile is not None and (self.defect or self.server_latency_ms):
            raise UsageError("--defect and --server-latency-ms apply to the embedded reference server; drop --profile")
        if self.master and self.workers:
            raise UsageError("--master waits for workers started with --worker; drop --workers")

    def race_every(self) -> int:
        """Every how many devices one replays its initial token (0: none)."""
        return 0 if self.race_share <= 0 else max(1, round(1 / self.race_share))


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost`` (RFC 6761 §6.3)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def target_hosts(profile) -> list[str]:
    """Every host the fleet would send to: the profile's endpoints and resource."""
    server = profile.server
    urls = [server.token_endpoint, server.registration_endpoint, server.mtls_token_endpoint,
            profile.use.resource_url, server.issuer]
    hosts = {urlsplit(u).hostname for u in urls if u}
    return sorted(h for h in hosts if h)


def check_targets(profile, confirmed: list[str]) -> None:
    """Refuse a non-loopback host unless it is repeated with ``--confirm-target``."""
    confirmed_lower = {c.strip("[]").lower() for c in confirmed}
    for host in target_hosts(profile):
        if not is_loopback(host) and host.lower() not in confirmed_lower:
            raise UsageError(f"{host} is not a loopback address: a load run against it needs "
                             f"--confirm-target {host} (and the owner's permission)")
