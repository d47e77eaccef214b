"""Project-wide pytest configuration: the suite's plugins come from the package's entry points
(conformance.harness.plugin, conformance.reporting.plugin); nothing else is needed here. Kept so
the rootdir is this folder, and so that pytest puts this folder on sys.path: the tests' shared
helpers import as ``tests.selftest.runner`` and the like."""
