"""Project-wide pytest configuration: the suite's plugin comes from the package entry point
(conformance.plugin); nothing else is needed here. Kept so the rootdir is this folder."""
