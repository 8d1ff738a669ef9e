"""What every app's factories share: rows made in the tenant schema the test names."""

from typing import Any, TypeVar

from django.db.models import Model
from django_tenants.utils import schema_context
from factory.django import DjangoModelFactory

M = TypeVar("M", bound=Model)


class SchemaModelFactory(DjangoModelFactory[M]):
    """`schema="alpha"` makes the row, and any row it needs (a SubFactory's), in that
    tenant's schema: API tests run in public and reach tenants over HTTP. Without it, rows go
    where the connection points. Call `.create(...)`: mypy then knows the model it returns."""

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy: Any, params: dict[str, Any]) -> Any:
        schema = params.pop("schema", None)
        if schema is None:
            return super()._generate(strategy, params)
        with schema_context(schema):
            return super()._generate(strategy, params)
