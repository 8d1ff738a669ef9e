"""Webhook endpoints of the tenant (docs/webhooks.md#the-api): tenant admins; auditors read.

An API token needs `webhooks:write` for every method, reads included: an endpoint's
deliveries show what the tenant's systems answered, which is theirs to see.
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import AUTH_ERRORS, ERROR, READS, VALIDATION_ERROR, TenantAdminApi, validate_with
from core.scopes import WEBHOOKS_WRITE
from webhooks import selectors
from webhooks.models import Delivery, Endpoint
from webhooks.serializers import (
    DeliveryAcceptedSerializer,
    DeliverySerializer,
    EndpointCreatedSerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
    SecretSerializer,
)
from webhooks.services.endpoints import (
    delivery_replay,
    endpoint_create,
    endpoint_delete,
    endpoint_input_check,
    endpoint_secret_overlap,
    endpoint_secret_rotate,
    endpoint_test,
    endpoint_update,
)

# The API-token scope of every webhook endpoint (docs/webhooks.md#the-api).
# What an API token needs, per method (core.api.ScopedApi).
SCOPES = dict.fromkeys(("GET", "POST", "PATCH", "DELETE"), WEBHOOKS_WRITE)


class WebhookListCreateApi(TenantAdminApi, ListAPIView):
    """The tenant's endpoints; registering one returns its signing secret, once."""

    auditor_methods = READS
    scopes = SCOPES
    serializer_class = EndpointSerializer

    def get_queryset(self) -> QuerySet[Endpoint]:
        return selectors.endpoint_list()

    @extend_schema(
        responses={
            200: EndpointSerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        }
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=EndpointCreateSerializer,
        responses={201: EndpointCreatedSerializer, 400: VALIDATION_ERROR, **AUTH_ERRORS},
        summary="Register an endpoint; the answer holds its secret (`whsec_...`), shown once",
    )
    def post(self, request: Request) -> Response:
        data = validate_with(EndpointCreateSerializer(data=request.data), endpoint_input_check)
        endpoint, secret = endpoint_create(**data, actor=request.user.get_username())
        body = {**EndpointSerializer(endpoint).data, "secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookDetailApi(TenantAdminApi):
    auditor_methods = READS
    scopes = SCOPES

    @extend_schema(responses={200: EndpointSerializer, 404: ERROR, **AUTH_ERRORS})
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, 400: VALIDATION_ERROR, 404: ERROR, **AUTH_ERRORS},
        summary="Change an endpoint; `enabled: true` enables one disabled for failing",
    )
    def patch(self, request: Request, endpoint_id: int) -> Response:
        get_object_or_404(Endpoint, pk=endpoint_id)
        data = validate_with(EndpointUpdateSerializer(data=request.data), endpoint_input_check)
        endpoint = endpoint_update(
            endpoint_id=endpoint_id, data=data, actor=request.user.get_username()
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None, 404: ERROR, **AUTH_ERRORS})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        endpoint_delete(endpoint_id=endpoint_id, actor=request.user.get_username())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookTestApi(TenantAdminApi):
    scopes = SCOPES

    @extend_schema(
        request=None,
        responses={202: DeliveryAcceptedSerializer, 404: ERROR, 409: ERROR, **AUTH_ERRORS},
        summary="Send a `test` event to this endpoint",
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        delivery = endpoint_test(endpoint_id=endpoint_id, actor=request.user.get_username())
        return _accepted(delivery)


class WebhookDeliveriesApi(TenantAdminApi, ListAPIView):
    """The endpoint's deliveries, newest first, with every attempt's answer (30 days)."""

    auditor_methods = READS
    scopes = SCOPES
    serializer_class = DeliverySerializer

    def get_queryset(self) -> QuerySet[Delivery]:
        endpoint = get_object_or_404(Endpoint, pk=self.kwargs["endpoint_id"])
        return selectors.delivery_list(endpoint)

    @extend_schema(
        responses={
            200: DeliverySerializer(many=True),
            400: VALIDATION_ERROR,
            404: ERROR,
            **AUTH_ERRORS,
        }
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


class WebhookReplayApi(TenantAdminApi):
    scopes = SCOPES

    @extend_schema(
        request=None,
        responses={202: DeliveryAcceptedSerializer, 404: ERROR, 409: ERROR, **AUTH_ERRORS},
        summary="Deliver this delivery's event again (a new delivery, the same event id)",
    )
    def post(self, request: Request, endpoint_id: int, delivery_id: int) -> Response:
        return _accepted(delivery_replay(endpoint_id=endpoint_id, delivery_id=delivery_id))


class WebhookRotateSecretApi(TenantAdminApi):
    scopes = SCOPES

    @extend_schema(
        request=None,
        responses={200: SecretSerializer, 404: ERROR, **AUTH_ERRORS},
        summary="A new secret; the previous one keeps signing beside it for 24 hours",
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        endpoint, secret = endpoint_secret_rotate(
            endpoint_id=endpoint_id, actor=request.user.get_username()
        )
        body = {"secret": secret, "secret_rotation_ends_at": endpoint_secret_overlap(endpoint)}
        return Response(SecretSerializer(body).data)


def _accepted(delivery: Delivery) -> Response:
    body = {"delivery_id": delivery.pk, "event_id": f"msg_{delivery.event_id.hex}"}
    return Response(DeliveryAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED)
