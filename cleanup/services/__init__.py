"""Writes of the cleanup engine (HackSoft's "services"), one module per concern; callers
import the module they use:

- `start`: starting a run — its report, its task, the worker's entry point;
- `transitions`: every status change of a run, mirrored in the public registry;
- `execution`: running a run to its end — the safety cap and the stage loop;
- `stages`: the stages (warn, remove, expire) and the statement each batch runs;
- `removal`: the set-based audit and removal each batch does;
- `registry`: the public mirror of each tenant's active run, and the finished runs' history;
- `exemptions`: users no run may touch;
- `notices`: sending users' notices (the outbox), `admin_mail`: emails to tenant admins,
  `keep`: the notices' keep links, `mail`: what every cleanup email knows of its tenant;
- `oversight`: what tenant admins do to runs — approve, reject, reactivate, undo.

The policy's own services are `policy.services`; the fleet's (fan-out, trigger-all, the
reaper) are `fleet.services`.
"""
