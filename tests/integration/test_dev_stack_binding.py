"""The dev stack listens on 127.0.0.1 only: nobody on the network reaches its data.

DynamoDB Local has no host option and listened on every interface; it now starts through
devtools/LoopbackDynamoDBLocal.java (devtools/stack.py). The emulated S3 (moto's server, in
the app's process) serves any stored document to whoever reaches it, without authentication:
it must be reachable from this machine only. Checked from the kernel's own table of listening
sockets (/proc/net/tcp, /proc/net/tcp6), and by connecting through this machine's other
addresses when it has any.
"""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.clock import TUESDAY_MORNING

pytestmark = pytest.mark.instant(TUESDAY_MORNING)
LISTEN = "0A"


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return ipaddress.IPv4Address(raw[::-1])
    # /proc/net/tcp6: four 32-bit words, each in host (little-endian) order
    address = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
    return address.ipv4_mapped or address


def listening_addresses(port: int) -> list:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            hex_address, hex_port = local.split(":")
            if state == LISTEN and int(hex_port, 16) == port:
                found.append(_address(hex_address))
    return found


def other_addresses() -> set[str]:
    """This machine's addresses that are not loopback (none in a sandbox without network)."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except OSError:
        pass
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))          # no packet leaves: only picks the route's source
        found.add(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return {a for a in found if not ipaddress.ip_address(a).is_loopback and a != "0.0.0.0"}


def assert_loopback_only(port: int) -> None:
    addresses = listening_addresses(port)
    assert addresses, f"nothing listens on port {port}"
    assert all(a.is_loopback for a in addresses), f"port {port} listens on {addresses}"
    for address in other_addresses():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as client:
            client.settimeout(2)
            assert client.connect_ex((address, port)) != 0, f"port {port} answers on {address}"


def test_dynamodb_local_listens_on_loopback_only(dynamodb_endpoint):
    assert_loopback_only(urlsplit(dynamodb_endpoint).port)


def test_the_emulated_s3_listens_on_loopback_only(deps):
    from chalicelib.dev import emulation

    endpoint = emulation.serve_s3(deps.settings)
    assert urlsplit(endpoint).hostname == "127.0.0.1"
    assert_loopback_only(urlsplit(endpoint).port)


def test_the_check_sees_a_socket_on_every_interface():
    """The check can fail: a socket bound to every interface is caught."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("0.0.0.0", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(AssertionError, match="listens on"):
            assert_loopback_only(port)


def test_chalice_local_is_started_on_loopback():
    import inspect

    from devtools import stack

    assert '"--host", "127.0.0.1"' in inspect.getsource(stack.start_app)
