"""``cpj census --year 2026 [--authority darlington] [--out file.xml]``: the census's child protection part.

The DfE's rules are checked first. When any fails, every failure is listed per child on stderr, nothing is
written, and the exit code is 1: a return that fails the DfE's rules is refused by the DfE's collection
anyway, and the way to make it pass is to record what is missing or wrong on the child's journey, not to
send it. There is deliberately no ``--force``. The DfE's queries (codes ending in Q) are listed to check
but do not stop the extract. Exit code 2: the extract could not be made as asked.

Without ``--out`` the XML goes to stdout. Making the extract is recorded in the audit log under the staff
number the command line acts as (``cpj --as`` or ``CPJ_STAFF_REF``): it lists every child on a plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def census_command(
    year: Annotated[int, typer.Option("--year", help="the census year, named by its 31 March: 2026 is 1 April 2025 "
                                                     "to 31 March 2026")],
    authority: Annotated[Optional[str], typer.Option("--authority", metavar="PROFILE", help="the authority's profile "
                                                     "(darlington); needed when the records hold several")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="write the XML to this file (default: stdout)",
                                                dir_okay=False)] = None,
) -> None:
    """The Children in Need census extract (child protection) for a year, checked against the DfE's rules."""
    from activities.db import make_engine
    from starter.audit import AuditLog, NoActor, cli_actor
    from starter.census import CensusRefused, make_extract
    from starter.cli import _fail
    from starter.permissions import Action

    try:
        actor = cli_actor()
    except NoActor as err:
        raise _fail(str(err)) from None
    engine = make_engine()
    try:
        try:
            extract = make_extract(engine, year, authority)
        except CensusRefused as err:
            raise _fail(str(err)) from None
        census = extract.census
        AuditLog(engine).write(actor, Action.EXPORT_CENSUS, f"census {year} {extract.profile_id}", via="cli",
                               outcome="done" if census.passes else "refused")
    finally:
        engine.dispose()
    children = len(census.children)
    typer.echo(f"The {year} census ({census.year.words}), {extract.authority}: {children} "
               f"child{'ren' if children != 1 else ''} with a section 47 enquiry or a plan in the year.", err=True)
    for case_ref, failures in census.failures_by_child().items():
        typer.echo(case_ref, err=True)
        for failure in failures:
            kind = "to check" if failure.query else "fails"
            typer.echo(f"  {failure.code} ({kind}): {failure.message}", err=True)
    if not census.passes:
        errors = len(census.errors)
        typer.echo(f"Not written: {errors} failure{'s' if errors != 1 else ''} of the DfE's rules. Record what is "
                   f"missing or wrong on each child's journey, then run this again.", err=True)
        raise typer.Exit(code=1)
    xml = extract.xml()
    if out is None:
        typer.echo(xml, nl=False)
    else:
        out.write_text(xml, encoding="utf-8")
        typer.echo(f"Passes its rules{' (the queries above to explain)' if census.queries else ''}: written to {out}.",
                   err=True)
