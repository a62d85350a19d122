"""AWS clients: one boto3 session per process, and the SDK settings every client shares.

A new session loads every service model again, so there is one, made at the first client (never
at import: a client made at import slows every cold start and escapes the test doubles).
"""
from __future__ import annotations

import threading

_session = None
_lock = threading.Lock()


def _boto_session():
    global _session
    if _session is None:
        import boto3
        _session = boto3.session.Session()
    return _session


def client(service: str, region: str, endpoint: str | None = None, **settings):
    """A client with standard retries (8 attempts) and short timeouts; settings are botocore
    Config options added to those (signature_version, s3 addressing...)."""
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=3, read_timeout=10)
    if settings:
        config = config.merge(Config(**settings))
    with _lock:
        return _boto_session().client(service, region_name=region, endpoint_url=endpoint, config=config)
