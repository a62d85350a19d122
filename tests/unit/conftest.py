"""Unit tests do no I/O: any attempt to open a network connection fails the test."""
import socket

import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("unit tests must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def stubbed(request, monkeypatch):
    """(client, Stubber) of the AWS service the test module names (STUBBED = "s3"): botocore checks
    every request against the service's own model, and each call must have its stubbed answer."""
    import boto3
    from botocore.stub import Stubber

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.Session(region_name="eu-west-3").client(request.module.STUBBED)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()
