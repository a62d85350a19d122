"""The composition root: builds clients and adapters lazily, once, with a reset for tests.

Nothing here runs at import: a client made at import slows every cold start and escapes
the test doubles.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from . import config

if TYPE_CHECKING:
    from .domain.ports import UnitOfWork

def utcnow() -> datetime:
    return datetime.now(UTC)


class Wiring:
    """What a stage adds around the AWS clients: nothing, in AWS. The dev stage brings its own
    (DEV_WIRING), which emulates AWS and watches the clients; this module never imports it."""

    def before_client(self, settings: config.Settings) -> None:
        """Called before each client is made."""

    def client_made(self, settings: config.Settings, service: str, endpoint: str | None, client) -> None:
        """Called with each client made."""

    def s3_public_endpoint(self, settings: config.Settings) -> str | None:
        """S3 as the browser reaches it (None: AWS's own address)."""
        return settings.s3_public_endpoint


# Looked up by name, in the dev stage only: nothing deployed loads the dev package.
DEV_WIRING = "chalicelib.dev.wiring"


def stage_wiring(settings: config.Settings) -> Wiring:
    if settings.is_dev or settings.aws_emulation:
        return importlib.import_module(DEV_WIRING).DevWiring()
    return Wiring()


@dataclass
class Deps:
    settings: config.Settings
    clock: Callable[[], datetime] = utcnow
    wiring: Wiring = field(default_factory=Wiring)
    # Tests of the use cases put the in-memory unit of work here (adapters/memory.py).
    unit_of_work: Callable[[], UnitOfWork] | None = None

    def _client(self, service: str, endpoint: str | None = None, **config):
        from .adapters import aws

        self.wiring.before_client(self.settings)
        client = aws.client(service, self.settings.region, endpoint, **config)
        self.wiring.client_made(self.settings, service, endpoint, client)
        return client

    @cached_property
    def dynamodb(self):
        return self._client("dynamodb", self.settings.dynamodb_endpoint)

    @cached_property
    def repo(self):
        from .adapters.dynamo import Repository
        return Repository(self.dynamodb, self.settings.table_name)

    @cached_property
    def mailer(self):
        from .adapters.email import SesMailer
        return SesMailer(self._client("sesv2"), self.settings.mail_from,
                         self.settings.ses_configuration_set)

    @cached_property
    def sms(self):
        from .adapters.sms import EndUserMessagingSmsSender
        return EndUserMessagingSmsSender(self._client("pinpoint-sms-voice-v2"), self.settings.sms_origination_identity,
                                         self.settings.sms_configuration_set)

    @cached_property
    def sqs(self):
        return self._client("sqs")

    @cached_property
    def s3(self):
        return self._client("s3")

    @cached_property
    def queues(self):
        from .adapters.queue import Queues
        return Queues(self.sqs)

    @cached_property
    def documents(self):
        """The mail bucket's objects; its clients are built at their first use."""
        from .adapters.documents import Documents
        return Documents(lambda: self.s3, lambda: self.s3_signer, self.settings.mail_bucket)

    @cached_property
    def dynamodb_streams(self):
        """The table's stream, read by the dev stage's drain (in AWS, the event source mapping)."""
        return self._client("dynamodbstreams", self.settings.dynamodb_endpoint)

    @cached_property
    def s3_signer(self):
        """Signs the browser's upload forms and download links, for S3 as the browser reaches it:
        the bucket's regional virtual-hosted address in AWS, moto's server in the dev stage."""
        endpoint = self.wiring.s3_public_endpoint(self.settings)
        return self._client("s3", endpoint, signature_version="s3v4",
                            s3={"addressing_style": "path" if endpoint else "virtual"})

    @cached_property
    def idempotency_store(self):
        """Powertools idempotency records, in the same table under one static partition."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
        return DynamoDBPersistenceLayer(
            table_name=self.settings.table_name, key_attr="PK", sort_key_attr="SK",
            static_pk_value="IDEMPOTENCY#email", expiry_attr="expires_at",
            boto3_client=self.dynamodb)

    def uow(self):
        """A new unit of work (domain/ports.py): on the table, or what the test put in its place."""
        if self.unit_of_work is not None:
            return self.unit_of_work()
        from .adapters.unit_of_work import DynamoUnitOfWork
        return DynamoUnitOfWork(self.repo)

    def now(self) -> datetime:
        return self.clock()


_deps: Deps | None = None


def deps() -> Deps:
    global _deps
    if _deps is None:
        settings = config.settings()
        _deps = Deps(settings, wiring=stage_wiring(settings))
    return _deps


def reset() -> None:
    """Forget every client and setting (tests, or after the environment changed).

    Nothing is rebuilt until deps() is next called, so the next reader sees the environment
    as it is then (Chalice's test client patches it per request).
    """
    global _deps
    config.reset()
    _deps = None
