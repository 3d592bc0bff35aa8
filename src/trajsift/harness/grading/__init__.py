"""Tests run so that a pass can be trusted, and read into a verdict: the runner bootstrap and its signed evidence,
the task's test files protected, the logs and JUnit parsed, SWE-bench grading, network failures, the verdict."""
