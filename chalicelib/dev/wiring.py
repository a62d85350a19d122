"""The dev stage's wiring around the AWS clients, which bootstrap installs by name in dev only.

With RELAIS_AWS_EMULATION=moto, SES, SNS, S3 and SQS are emulated in-process (emulation.py)
(End User Messaging SMS in every dev stage)
and their sends observed for GET /_dev/outbox. The DynamoDB client is watched in the dev stage
(DynamoDB Local, with AWS emulated or not, as in the benchmarks): the stream drain needs to
know when an outbox item was written.
"""
from __future__ import annotations

from ..bootstrap import Wiring
from . import emulation


class DevWiring(Wiring):
    def before_client(self, settings) -> None:
        if settings.aws_emulation == "moto":
            emulation.start(settings)

    def client_made(self, settings, service: str, endpoint: str | None, client) -> None:
        # The dev stage never sends a real SMS: End User Messaging is answered in-process even
        # where the other services are a moto server (the benchmarks).
        if settings.aws_emulation == "moto" or (settings.is_dev and service == "dynamodb" and endpoint) or (
                settings.is_dev and service == emulation.SMS_SERVICE):
            emulation.observe(client)

    def s3_public_endpoint(self, settings) -> str | None:
        if settings.aws_emulation == "moto":
            return emulation.serve_s3(settings)
        return settings.s3_public_endpoint
