"""Fixtures shared by the harness tests."""

from __future__ import annotations

import pytest

from .docker_daemon import private_docker


@pytest.fixture(scope="session")
def docker_engine():
    """Empty when a Docker engine answers for this session (started here if need be: `docker_daemon`), else
    why none does; the Docker rows skip with that reason."""
    with private_docker() as problem:
        yield problem
