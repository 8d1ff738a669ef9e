"""Writes of the operators' work across tenants, one module per concern:

- `fanout`: beat's fan-out of due tenants;
- `trigger`: operators' trigger-all, and its expansion into run tasks;
- `reaper`: runs whose worker is gone, unanswered approvals, lost messages;
- `publish`: run messages in bulk, for the three above;
- `platform`: trigger-all as the operators' API does it, logged;
- `tenants`: a new tenant, whole (schema, domain, policy, first admin).

They decide *which* tenants run; the engine (`cleanup.services`) decides how one runs.
"""
