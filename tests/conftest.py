"""Suite-wide guards: tests reach only loopback (pytest-socket); lab tests run in the lab's namespaces."""

from __future__ import annotations

import os

import pytest
from pytest_socket import socket_allow_hosts

LOOPBACK = ["127.0.0.1", "::1", "localhost"]


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    """Any connection from the test process beyond 127.0.0.1 / ::1 fails the test."""
    socket_allow_hosts(LOOPBACK, allow_unix_socket=True)


@pytest.fixture(autouse=True)
def _consent(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("PATHPROBE_ACCEPT_RISK", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


def in_ci() -> bool:
    return os.environ.get("CI") == "true" or os.environ.get("PATHPROBE_CI") == "1"
