"""Endpoints as tests want them."""

import factory

from core.testing.factories import SchemaModelFactory
from webhooks.models import Endpoint
from webhooks.services.endpoints import secret_make


class EndpointFactory(SchemaModelFactory[Endpoint]):
    """An enabled endpoint subscribed to everything; `schema="alpha"` puts it in a tenant."""

    class Meta:
        model = Endpoint

    url = "https://hooks.example.com/cleanup"
    events = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(secret_make)
