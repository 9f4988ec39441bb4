"""One provider test suite, run against every provider through a harness."""
