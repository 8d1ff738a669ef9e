"""SCIM filters (`?filter=`) as Django queries (docs/api.md#scim).

scim2-models parses the filter (RFC 7644 §3.4.2.2) into a syntax tree; this module walks it
and builds a `Q` for the attributes this service stores, and refuses everything else with a
SCIM `invalidFilter` 400: an attribute it does not know, an operator an attribute does not
take, a value of the wrong type, a NUL (PostgreSQL refuses it in text). The tree is data,
never SQL, so a filter cannot inject anything; it can only be a 400.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path.expressions import (
    CompareOperator,
    Comparison,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

# A filter longer than this is refused before parsing.
MAX_FILTER_LENGTH = 1000

# Per attribute (lowercased, as SCIM attribute names are case-insensitive): the model field,
# whether values compare case-insensitively, and the value's Python type.
Attribute = tuple[str, bool, type]
USER_ATTRIBUTES: dict[str, Attribute] = {
    "id": ("pk", False, str),
    "username": ("username", True, str),
    "externalid": ("external_id", False, str),
    "emails": ("email", True, str),
    "emails.value": ("email", True, str),
    "name.givenname": ("first_name", True, str),
    "name.familyname": ("last_name", True, str),
    "active": ("is_active", False, bool),
}
GROUP_ATTRIBUTES: dict[str, Attribute] = {
    "id": ("pk", False, str),
    "displayname": ("name", True, str),
    "externalid": ("external__external_id", False, str),
}


def _invalid(detail: str) -> InvalidFilterException:
    return InvalidFilterException(detail=detail)


def _name(attr_path: Any) -> str:
    name = (
        attr_path.attr if attr_path.sub_attr is None else f"{attr_path.attr}.{attr_path.sub_attr}"
    )
    return str(name).lower()


def _lookup(field: str, insensitive: bool, kind: type, op: CompareOperator, value: Any) -> Q:
    if kind is bool:
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise _invalid("This attribute takes eq or ne with true or false.")
        return Q(**{field: value}) if op == CompareOperator.eq else ~Q(**{field: value})
    if not isinstance(value, str):
        raise _invalid("This attribute compares with a string.")
    if "\x00" in value:
        raise _invalid("A filter value must not contain NUL.")
    if field == "pk":
        if op not in (CompareOperator.eq, CompareOperator.ne):
            raise _invalid("id takes eq or ne.")
        # An id that is not one of ours matches nobody (it is not an error).
        match = (
            Q(pk=int(value))
            if value.isascii() and value.isdigit() and len(value) < 19
            else Q(pk__in=[])
        )
        return match if op == CompareOperator.eq else ~match
    prefix = "i" if insensitive else ""
    lookups: dict[CompareOperator, Callable[[], Q]] = {
        CompareOperator.eq: lambda: Q(**{f"{field}__{prefix}exact": value}),
        CompareOperator.ne: lambda: ~Q(**{f"{field}__{prefix}exact": value}),
        CompareOperator.co: lambda: Q(**{f"{field}__{prefix}contains": value}),
        CompareOperator.sw: lambda: Q(**{f"{field}__{prefix}startswith": value}),
        CompareOperator.ew: lambda: Q(**{f"{field}__{prefix}endswith": value}),
    }
    if op not in lookups:
        raise _invalid(f"The operator '{op.value}' is not supported on this attribute.")
    return lookups[op]()


def _present(field: str, kind: type) -> Q:
    if kind is bool or field == "pk":
        return Q(**{f"{field}__isnull": False})
    return Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})


def _to_q(node: Any, attributes: dict[str, Attribute], depth: int = 0) -> Q:
    if depth > 50:
        raise _invalid("The filter is nested too deeply.")
    if isinstance(node, LogicalExpr):
        parts = [_to_q(term, attributes, depth + 1) for term in node.terms]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if node.op == LogicalOperator.and_ else combined | part
        return combined
    if isinstance(node, Not):
        return ~_to_q(node.expr, attributes, depth + 1)
    if isinstance(node, Present | Comparison):
        name = _name(node.attr_path)
        if node.attr_path.uri and not str(node.attr_path.uri).lower().startswith(
            "urn:ietf:params:scim:schemas:core:2.0:"
        ):
            raise _invalid(f"Unknown attribute '{name}'.")
        if name not in attributes:
            raise _invalid(f"Filtering on '{name}' is not supported.")
        field, insensitive, kind = attributes[name]
        if isinstance(node, Present):
            return _present(field, kind)
        return _lookup(field, insensitive, kind, node.op, node.value)
    if isinstance(node, ValuePath):
        # emails[value eq "x"]: the only multi-valued attribute stored is one email.
        base = _name(node.attr_path)
        if base != "emails" or node.sub_attr not in (None, "value"):
            raise _invalid(f"Filtering on '{base}[...]' is not supported.")
        return _to_q(node.val_filter, {"value": attributes["emails.value"]}, depth + 1)
    raise _invalid("This filter is not supported.")


def filter_q(expression: str, attributes: dict[str, Attribute]) -> Q:
    """The `Q` of a SCIM filter over `attributes`; raises InvalidFilterException (a SCIM 400)
    for anything it cannot answer exactly."""
    if len(expression) > MAX_FILTER_LENGTH:
        raise _invalid(f"A filter has at most {MAX_FILTER_LENGTH} characters.")
    try:
        parsed: ScimFilter[Any] = ScimFilter(expression)
        tree = parsed.ast
    except InvalidFilterException:
        raise
    except (ValueError, TypeError, RecursionError) as exc:
        raise _invalid("The filter could not be parsed.") from exc
    return _to_q(tree, attributes)
