"""Fixtures of the Python test suites: stubs generated from proto/ and a running ramd."""

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import types

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helpers import REPO_ROOT, run_protoc

# How long ramd may take to report SERVING, and to exit after SIGTERM.
STARTUP_TIMEOUT_SECONDS = 30
SHUTDOWN_TIMEOUT_SECONDS = 15


@pytest.fixture(scope="session")
def stubs(tmp_path_factory):
    """Python messages and service stubs generated from proto/ into a temporary directory."""
    out = tmp_path_factory.mktemp("stubs")
    run_protoc(f"--python_out={out}", f"--grpc_python_out={out}")
    sys.path.insert(0, str(out))
    importlib.invalidate_caches()
    try:
        yield types.SimpleNamespace(
            ram_pb2=importlib.import_module("ram.v1.ram_pb2"),
            ram_pb2_grpc=importlib.import_module("ram.v1.ram_pb2_grpc"),
            admin_pb2=importlib.import_module("ram.admin.v1.admin_pb2"),
            admin_pb2_grpc=importlib.import_module("ram.admin.v1.admin_pb2_grpc"),
        )
    finally:
        sys.path.remove(str(out))


def ramd_binary():
    """The ramd binary to test: RAMD_BIN if set (it must exist), else the debug build."""
    explicit = os.environ.get("RAMD_BIN")
    if explicit:
        if not os.path.isfile(explicit):
            pytest.fail(f"RAMD_BIN={explicit} does not exist")
        return explicit
    default = os.path.join(REPO_ROOT, "target", "debug", "ramd")
    if not os.path.isfile(default):
        pytest.skip(f"no ramd binary at {default}: run `cargo build` or set RAMD_BIN")
    return default


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(proc, address, log_path):
    """Polls grpc.health.v1 until the server reports SERVING, failing early if it exits."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    last = "no answer yet"
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"ramd exited with {proc.returncode} before serving:\n{read_log(log_path)}")
            try:
                reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
                last = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
            except grpc.RpcError as err:
                last = f"{err.code().name}: {err.details()}"
            time.sleep(0.05)
    pytest.fail(
        f"ramd at {address} did not report SERVING within {STARTUP_TIMEOUT_SECONDS}s "
        f"(last: {last}):\n{read_log(log_path)}"
    )


def read_log(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


@contextlib.contextmanager
def running_ramd(tmp_path, *extra_args):
    """Runs an ephemeral ramd with a manual clock and extra flags; yields its gRPC address (host:port)."""
    binary = ramd_binary()
    address = f"127.0.0.1:{free_port()}"
    # Settings inherited through RAMD_* variables would change what the test runs against.
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAMD_")}
    log_path = tmp_path / "ramd.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [binary, "--ephemeral", "--listen", address, "--manual-clock", *extra_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        wait_until_serving(proc, address, log_path)
        yield address
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(f"ramd did not exit within {SHUTDOWN_TIMEOUT_SECONDS}s of SIGTERM:\n{read_log(log_path)}")
    assert proc.returncode == 0, f"ramd exited with {proc.returncode} after SIGTERM:\n{read_log(log_path)}"


@pytest.fixture
def server(tmp_path):
    """Starts an ephemeral ramd with a manual clock and yields its address (host:port)."""
    with running_ramd(tmp_path) as address:
        yield address


@pytest.fixture
def aws_server(tmp_path):
    """Starts an ephemeral ramd that also serves the AWS protocol (--aws-listen, header mode).

    Yields the gRPC address and the AWS endpoint URL; the AWS port is bound before ramd reports SERVING.
    """
    aws_address = f"127.0.0.1:{free_port()}"
    with running_ramd(tmp_path, "--aws-listen", aws_address) as address:
        yield types.SimpleNamespace(grpc=address, endpoint=f"http://{aws_address}")


@pytest.fixture
def channel(server):
    """An insecure channel to the test's server."""
    with grpc.insecure_channel(server) as ch:
        yield ch
