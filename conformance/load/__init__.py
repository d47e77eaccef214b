"""Launch day: a fleet of devices taking the DCR fallback at once, on Locust, with oracles.

``dcr-conformance load`` plays N devices (token -> registration -> own token -> relaunch) through
Locust's users, rate shaping and statistics (one process, or a master and workers), checks the
oracles as the run goes and at its end, deletes every client it created, and reports.

Modules: ``options`` (what a run is, safety caps, loopback rule), ``objectives`` (the profile's
``[load]`` table), ``oracles`` (the suite's oracles applied under load, and their verdicts),
``device`` (the Locust user: one device), ``embedded`` (the reference server in its own process),
``engine`` (Locust local / master / worker), ``cleanup``, ``report`` and ``cli``.

Locust monkey-patches sockets when imported: only ``device`` and ``engine`` import it, and only
the ``load`` command imports them. Nothing else in the package may.
"""
