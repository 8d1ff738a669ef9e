"""SCIM 2.0 endpoints at `/scim/v2/` on each tenant's host (docs/api.md#scim).

Thin views: parse with scim2-models, call a service, answer with scim2-models. Every
refusal, from authentication to a filter this service cannot answer, is a SCIM error body
(`application/scim+json`, `urn:ietf:params:scim:api:messages:2.0:Error`, `status`,
`scimType` where RFC 7644 §3.12 has one): `ScimApi.handle_exception` is the one place that
turns exceptions into them, so no input reaches Django's HTML 500 page or DRF's
`{"detail"}`. These endpoints are not in the OpenAPI document: SCIM describes itself
(ServiceProviderConfig, ResourceTypes, Schemas).
"""

import logging
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group as DjangoGroup
from django.db.models import Prefetch, Q
from pydantic import ValidationError as PydanticValidationError
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from scim2_models import (
    Context,
    Error,
    Group,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    PatchOp,
    ResourceType,
    ResponseParameters,
    Schema,
    SCIMException,
    User,
)

from accounts.models import User as ConsoleUser
from core.api import TenantAdminApi
from core.errors import ServiceError
from core.parsers import JSONParser
from scim import resources
from scim.filters import GROUP_ATTRIBUTES, USER_ATTRIBUTES, filter_q
from scim.services import (
    scim_group_create,
    scim_group_delete,
    scim_group_update,
    scim_user_create,
    scim_user_delete,
    scim_user_update,
)

logger = logging.getLogger(__name__)

SCIM_MEDIA_TYPE = "application/scim+json"
# `POST /Users/.search`: a list whose parameters are in the body (RFC 7644 §3.4.3).
SEARCH = ".search"


class ScimJSONParser(JSONParser):
    media_type = SCIM_MEDIA_TYPE


class ScimJSONRenderer(JSONRenderer):
    media_type = SCIM_MEDIA_TYPE
    format = "scim"


# A parameter that is a whole number, in ASCII digits, with an optional sign: what
# startIndex and count may be (RFC 7644 §3.4.2.4 reads values below 1, and below 0, as 1
# and 0). The length bound keeps int() clear of huge inputs.
_INTEGER = re.compile(r"-?[0-9]{1,12}")


class _Params:
    """A search body's parameters, read like a query string."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def getlist(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str) -> str:
        return self.values[name][-1]

    def __iter__(self) -> Any:
        return iter(self.values)


def _text(detail: Any) -> str:
    """DRF's error detail as one sentence (simplejwt nests it: `{detail, code, messages}`)."""
    if isinstance(detail, dict):
        detail = detail.get("detail", "The request was refused.")
    if isinstance(detail, list):
        detail = " ".join(str(item) for item in detail)
    return str(detail)


def _scim_error(status: int, detail: str, scim_type: str | None = None) -> Response:
    body = Error(status=status, scim_type=scim_type, detail=detail).model_dump()
    return Response(body, status=status, content_type=SCIM_MEDIA_TYPE)


class ScimApi(TenantAdminApi):
    """Base of every SCIM endpoint: a tenant host and a caller allowed to provision it.

    The identity provider calls with an API token of scope `scim` (a service account's, made
    for it), checked by `TenantAdminApi` as on the rest of the tenant API; a tenant admin's
    JWT works too.
    """

    scopes = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), "scim")
    parser_classes = [ScimJSONParser, JSONParser]
    renderer_classes = [ScimJSONRenderer, JSONRenderer]
    # Never in the OpenAPI document (see the module's docstring).
    schema = None

    @property
    def base_url(self) -> str:
        return self.request.build_absolute_uri("/scim/v2/")

    @property
    def actor(self) -> str:
        return f"{self.request.user.get_username()} (scim)"

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, SCIMException):
            error = exc.to_error()
            return Response(
                error.model_dump(), status=int(error.status or 400), content_type=SCIM_MEDIA_TYPE
            )
        if isinstance(exc, PydanticValidationError):
            error = Error.from_validation_errors(exc)[0]
            return Response(
                error.model_dump(), status=int(error.status or 400), content_type=SCIM_MEDIA_TYPE
            )
        if isinstance(exc, ServiceError):
            return _scim_error(exc.status_code, exc.detail)
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = _scim_error(401, _text(exc.detail))
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
            return response
        if isinstance(exc, exceptions.ParseError):
            return _scim_error(400, _text(exc.detail), "invalidSyntax")
        if isinstance(exc, exceptions.APIException):
            return _scim_error(exc.status_code, _text(exc.detail))
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(response, "status_code", 200) == 406:
            # Even an Accept this service cannot serve gets a SCIM body it can read.
            return _scim_error(406, "Ask for application/scim+json or application/json.")
        return response

    def listed(self, rows: Any, model: Any, resource: Callable[[Any], Any]) -> Response:
        """A ListResponse of the page of `rows` the request asks for (startIndex, count)."""
        start, count = self.page()
        total = rows.count()
        page = list(rows[start - 1 : start - 1 + count]) if count else []
        items = [resource(row) for row in page]
        body = ListResponse[model](  # type: ignore[valid-type]
            total_results=total, start_index=start, items_per_page=len(items), resources=items
        ).model_dump(
            scim_ctx=Context.SEARCH_RESPONSE, response_parameters=self.response_parameters()
        )
        return self.ok(body)

    def ok(self, body: dict[str, Any], status: int = 200, location: str | None = None) -> Response:
        response = Response(body, status=status)
        if location:
            response["Location"] = location
        return response

    def body(self) -> dict[str, Any]:
        data = self.request.data
        if not isinstance(data, dict):
            raise InvalidValueException(detail="The body must be a JSON object.")
        return data

    # The list parameters: the query string's, or those of a POST .search body.
    search_body: dict[str, list[str]] | None = None

    def params(self) -> Any:
        if self.search_body is not None:
            return _Params(self.search_body)
        return self.request.query_params

    def search(self) -> None:
        """Read a `POST .../.search` body (RFC 7644 §3.4.3) as the list parameters."""
        body = self.body()
        allowed = {"schemas", "filter", "startIndex", "count", "attributes", "excludedAttributes"}
        if set(body) - allowed:
            raise InvalidValueException(
                detail="A search takes filter, startIndex, count, "
                "attributes and excludedAttributes."
            )
        params: dict[str, list[str]] = {}
        for name in ("filter",):
            if name in body:
                if not isinstance(body[name], str):
                    raise InvalidValueException(detail=f"{name}: a string.")
                params[name] = [body[name]]
        for name in ("startIndex", "count"):
            if name in body:
                value = body[name]
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InvalidValueException(detail=f"{name}: a whole number.")
                params[name] = [str(max(min(value, 10**12 - 1), -(10**11)))]
        for name in ("attributes", "excludedAttributes"):
            if name in body:
                value = body[name]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InvalidValueException(detail=f"{name}: a list of attribute names.")
                params[name] = [",".join(value)]
        self.search_body = params

    def response_parameters(self) -> ResponseParameters[Any] | None:
        query = self.params()
        names = {"attributes", "excludedAttributes"} & set(query)
        if not names:
            return None
        for name in names:
            if len(query.getlist(name)) > 1 or "\x00" in query[name] or len(query[name]) > 1000:
                raise InvalidValueException(detail=f"{name}: one comma-separated list.")
        return ResponseParameters.model_validate({name: query[name] for name in names})

    def page(self) -> tuple[int, int]:
        """startIndex (from 1) and count (0 to MAX_RESULTS) of a list request."""
        values = []
        for name, default, floor in (
            ("startIndex", 1, 1),
            ("count", resources.MAX_RESULTS, 0),
        ):
            given = self.params().getlist(name)
            if not given:
                values.append(default)
                continue
            if len(given) > 1 or not _INTEGER.fullmatch(given[0]):
                raise InvalidValueException(detail=f"{name}: one whole number, in digits 0-9.")
            values.append(max(floor, int(given[0])))
        start, count = values
        return start, min(count, resources.MAX_RESULTS)

    def filter_given(self, attributes: dict[str, Any]) -> Q:
        given = self.params().getlist("filter")
        if not given:
            return Q()
        if len(given) > 1:
            raise InvalidValueException(detail="filter: one expression.")
        return filter_q(given[0], attributes)

    def resource_id(self, value: str) -> int:
        """A resource id as this service makes them (a primary key); any other is a 404."""
        if not (value.isascii() and value.isdigit() and len(value) < 19):
            raise NotFoundException(detail="No such resource.")
        return int(value)


# --- Discovery ------------------------------------------------------------------------


class ServiceProviderConfigApi(ScimApi):
    def get(self, request: Request) -> Response:
        config = resources.service_provider_config(self.base_url)
        return self.ok(config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _listed(items: list[Any], model: Any, start: int = 1) -> dict[str, Any]:
    return ListResponse[model](
        total_results=len(items), start_index=start, items_per_page=len(items), resources=items
    ).model_dump(scim_ctx=Context.SEARCH_RESPONSE)


class ResourceTypesApi(ScimApi):
    def get(self, request: Request, resource_id: str | None = None) -> Response:
        found = resources.resource_types(self.base_url)
        if resource_id is None:
            return self.ok(_listed(found, ResourceType))
        for resource_type in found:
            if resource_type.id == resource_id:
                return self.ok(resource_type.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
        raise NotFoundException(detail="No such resource type.")


class SchemasApi(ScimApi):
    def get(self, request: Request, resource_id: str | None = None) -> Response:
        found = resources.schemas(self.base_url)
        if resource_id is None:
            return self.ok(_listed(found, Schema))
        for schema in found:
            if schema.id == resource_id:
                return self.ok(schema.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))
        raise NotFoundException(detail="No such schema.")


# --- Users ----------------------------------------------------------------------------


def _users() -> Any:
    return ConsoleUser.objects.prefetch_related(
        Prefetch("groups", queryset=DjangoGroup.objects.order_by("pk"))
    ).order_by("pk")


class UsersApi(ScimApi):
    def _dump(self, user: ConsoleUser, ctx: Context) -> dict[str, Any]:
        resource = resources.user_resource(user, self.base_url, list(user.groups.all()))
        return resource.model_dump(scim_ctx=ctx, response_parameters=self.response_parameters())

    def _get_user(self, resource_id: str) -> ConsoleUser:
        user = _users().filter(pk=self.resource_id(resource_id)).first()
        if user is None:
            raise NotFoundException(detail="No such user.")
        return user

    def get(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is not None:
            return self.ok(self._dump(self._get_user(resource_id), Context.RESOURCE_QUERY_RESPONSE))
        return self.listed(
            _users().filter(self.filter_given(USER_ATTRIBUTES)),
            User,
            lambda u: resources.user_resource(u, self.base_url, list(u.groups.all())),
        )

    def post(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id == SEARCH:
            self.search()
            return self.get(request)
        if resource_id is not None:
            return _scim_error(405, "Create users at /Users.")
        resource: User[Any] = User.model_validate(
            self.body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST
        )
        fields = resources.user_fields(resource)
        user = scim_user_create(fields=fields, password=resource.password, actor=self.actor)
        user = self._get_user(str(user.pk))
        body = self._dump(user, Context.RESOURCE_CREATION_RESPONSE)
        return self.ok(body, status=201, location=f"{self.base_url}Users/{user.pk}")

    def put(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is None:
            return _scim_error(405, "Replace a user at /Users/{id}.")
        user = self._get_user(resource_id)
        resource: User[Any] = User.model_validate(
            self.body(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST
        )
        return self._store(user, resource, Context.RESOURCE_REPLACEMENT_RESPONSE)

    def patch(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is None:
            return _scim_error(405, "Patch a user at /Users/{id}.")
        user = self._get_user(resource_id)
        operations = PatchOp[User].model_validate(
            self.body(), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        resource = resources.user_resource(user, self.base_url, list(user.groups.all()))
        operations.patch(resource)
        return self._store(user, resource, Context.RESOURCE_PATCH_RESPONSE)

    def _store(self, user: ConsoleUser, resource: User, ctx: Context) -> Response:
        stored = scim_user_update(
            user_id=user.pk, fields=resources.user_fields(resource), actor=self.actor
        )
        if stored is None:
            raise NotFoundException(detail="No such user.")
        return self.ok(self._dump(self._get_user(str(stored.pk)), ctx))

    def delete(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is None:
            return _scim_error(405, "Delete a user at /Users/{id}.")
        if not scim_user_delete(user_id=self.resource_id(resource_id), actor=self.actor):
            raise NotFoundException(detail="No such user.")
        return Response(status=204)


# --- Groups ---------------------------------------------------------------------------


def _groups() -> Any:
    return (
        DjangoGroup.objects.select_related("external")
        .prefetch_related(Prefetch("user_set", queryset=ConsoleUser.objects.order_by("pk")))
        .order_by("pk")
    )


def _member_values(resource: Group) -> list[str]:
    return [str(member.value) for member in resource.members or [] if member.value is not None]


class GroupsApi(ScimApi):
    def _dump(self, group: DjangoGroup, ctx: Context) -> dict[str, Any]:
        resource = resources.group_resource(group, self.base_url, list(group.user_set.all()))
        return resource.model_dump(scim_ctx=ctx, response_parameters=self.response_parameters())

    def _get_group(self, resource_id: str) -> DjangoGroup:
        group = _groups().filter(pk=self.resource_id(resource_id)).first()
        if group is None:
            raise NotFoundException(detail="No such group.")
        return group

    def get(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is not None:
            return self.ok(
                self._dump(self._get_group(resource_id), Context.RESOURCE_QUERY_RESPONSE)
            )
        return self.listed(
            _groups().filter(self.filter_given(GROUP_ATTRIBUTES)),
            Group,
            lambda g: resources.group_resource(g, self.base_url, list(g.user_set.all())),
        )

    def post(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id == SEARCH:
            self.search()
            return self.get(request)
        if resource_id is not None:
            return _scim_error(405, "Create groups at /Groups.")
        resource = Group.model_validate(self.body(), scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        group = scim_group_create(
            name=resource.display_name,
            external_id=resource.external_id,
            members=_member_values(resource),
            actor=self.actor,
        )
        body = self._dump(self._get_group(str(group.pk)), Context.RESOURCE_CREATION_RESPONSE)
        return self.ok(body, status=201, location=f"{self.base_url}Groups/{group.pk}")

    def put(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is None:
            return _scim_error(405, "Replace a group at /Groups/{id}.")
        group = self._get_group(resource_id)
        resource = Group.model_validate(self.body(), scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
        return self._store(group, resource, Context.RESOURCE_REPLACEMENT_RESPONSE)

    def patch(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is None:
            return _scim_error(405, "Patch a group at /Groups/{id}.")
        group = self._get_group(resource_id)
        operations = PatchOp[Group].model_validate(
            self.body(), scim_ctx=Context.RESOURCE_PATCH_REQUEST
        )
        resource = resources.group_resource(group, self.base_url, list(group.user_set.all()))
        operations.patch(resource)
        return self._store(group, resource, Context.RESOURCE_PATCH_RESPONSE)

    def _store(self, group: DjangoGroup, resource: Group, ctx: Context) -> Response:
        stored = scim_group_update(
            schema_name=self.schema_name,
            group_id=group.pk,
            name=resource.display_name,
            external_id=resource.external_id,
            members=_member_values(resource),
            actor=self.actor,
        )
        if stored is None:
            raise NotFoundException(detail="No such group.")
        return self.ok(self._dump(self._get_group(str(stored.pk)), ctx))

    def delete(self, request: Request, resource_id: str | None = None) -> Response:
        if resource_id is None:
            return _scim_error(405, "Delete a group at /Groups/{id}.")
        deleted = scim_group_delete(
            schema_name=self.schema_name, group_id=self.resource_id(resource_id), actor=self.actor
        )
        if not deleted:
            raise NotFoundException(detail="No such group.")
        return Response(status=204)


def scim_not_found(request: Any, path: str = "") -> Any:
    """Any other path under /scim/v2/: a SCIM 404, not the dashboard's page."""
    from django.http import JsonResponse

    body = Error(status=404, detail="No such SCIM endpoint.").model_dump()
    return JsonResponse(body, status=404, content_type=SCIM_MEDIA_TYPE)


def scim_search_all(request: Any) -> Any:
    """`POST /.search` across resource types: not offered (RFC 7644 §3.4.3 lets a service
    answer 501); search `/Users/.search` or `/Groups/.search`."""
    from django.http import JsonResponse

    body = Error(
        status=501, detail="Search one resource type: /Users/.search or /Groups/.search."
    ).model_dump()
    return JsonResponse(body, status=501, content_type=SCIM_MEDIA_TYPE)
