"""The pytest side of a conformance run: options, targets, aged values, cleanup, expected failures,
outcomes and the console table, tied together by :class:`~conformance.harness.runstate.RunState`
and exposed to pytest by :mod:`conformance.harness.plugin`. The reports, above it, receive the run
state through the hook in :mod:`conformance.harness.hookspecs`."""
