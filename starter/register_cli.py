"""``cpj register``: link a case to its child's NHS number and UPRN, and see what a case is linked to.

The command line reaches Temporal and the records database directly, so whoever runs it may do anything;
it still acts as a named staff number (``cpj --as STAFF_NUMBER`` or ``CPJ_STAFF_REF``, see
``starter.audit.cli_actor``), recorded on the link. The NHS number and UPRN go to the records database only.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Optional

import typer

register_app = typer.Typer(help="The child protection register: link cases to their child's NHS number and UPRN.",
                           no_args_is_help=True)

@register_app.command("link")
def link(
    case_ref: Annotated[str, typer.Argument(help="the case, e.g. CASE-0042")],
    nhs_number: Annotated[str, typer.Option("--nhs-number", help="the child's NHS number (10 digits)")],
    uprn: Annotated[Optional[str], typer.Option("--uprn", help="the child's home address as a UPRN")] = None,
) -> None:
    """Link CASE to its child's NHS number (and home address as a UPRN) so the register can match enquiries.

    Linking again replaces the link (the child moved).
    """
    from activities.db import make_engine
    from starter.audit import cli_actor
    from starter.cli import _journeys, _run
    from starter.register import Register

    actor = cli_actor()

    async def go():
        engine = await asyncio.to_thread(make_engine)
        try:
            return await Register(engine, await _journeys()).link(case_ref, nhs_number, uprn, actor)
        finally:
            engine.dispose()

    row = _run(go())
    typer.echo(f"linked {row.case_ref} to its child's NHS number" + (" and UPRN" if row.uprn else "")
               + f" (by {row.linked_by})")


@register_app.command("show")
def show(
    case_ref: Annotated[str, typer.Argument(help="the case, e.g. CASE-0042")],
    as_json: Annotated[bool, typer.Option("--json", help="as JSON")] = False,
) -> None:
    """What CASE is linked to (NHS number, UPRN), from the records database."""
    from activities.db import make_engine
    from starter.audit import AuditLog, cli_actor
    from starter.permissions import Action
    from starter.register import Register

    actor = cli_actor()
    engine = make_engine()
    try:
        row = Register(engine, None).links(case_ref)  # type: ignore[arg-type]  (no Temporal needed to read)
        # The child's identity is part of the case: reading it is a view, in the audit log like any other.
        AuditLog(engine).write(actor, Action.READ_CASE, "view register link", via="cli", case_ref=case_ref)
    finally:
        engine.dispose()
    if row is None:
        raise ValueError(f"case {case_ref} is not linked to a child: cpj register link {case_ref} --nhs-number ...")
    found = {"case_ref": row.case_ref, "nhs_number": row.nhs_number, "uprn": row.uprn, "linked_by": row.linked_by,
             "linked_at": row.linked_at.isoformat()}
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    typer.echo(f"{row.case_ref}: NHS number {row.nhs_number}, UPRN {row.uprn or 'none'} "
               f"(linked by {row.linked_by} at {row.linked_at:%Y-%m-%d %H:%M})")
