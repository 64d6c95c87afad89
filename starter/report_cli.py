"""``cpj report``: the timeliness figures at a terminal, and the read model they come from.

``cpj report timeliness --year 2026 [--authority darlington] [--team "Locality North"] [--csv]`` prints
each measure's months and year (or the CSV the admin tool downloads). ``cpj report rebuild`` folds every
journey's records into its facts again: what a records database made before the facts existed runs once
(``README``, "Timeliness reports"); running it again changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

report_app = typer.Typer(help="Timeliness reports: the figures per authority, team and month, and their read model.",
                         no_args_is_help=True)


@report_app.command("timeliness")
def report_timeliness(
    year: Annotated[int, typer.Option("--year", help="the calendar year, January to December")],
    authority: Annotated[Optional[str], typer.Option("--authority", metavar="PROFILE",
                                                     help="only this authority's journeys (its profile: darlington)")] = None,
    team: Annotated[Optional[str], typer.Option("--team", help="only this team's journeys, as it is named")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="per authority, team, month and measure, as CSV")] = False,
) -> None:
    """The year's timeliness figures: each measure per month, and the year."""
    from activities.db import make_engine
    from domain.reports import MONTHS
    from starter.cli import _fail
    from starter.reports import FIRST_YEAR, LAST_YEAR, authorities, csv_text, timeliness

    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _fail(f"the year must be between {FIRST_YEAR} and {LAST_YEAR} (the calendar's years)")
    known = dict(authorities())
    if authority is not None and authority not in known:
        raise _fail(f"no authority's profile is called {authority!r}; the profiles are {', '.join(sorted(known))}")
    engine = make_engine()
    try:
        report = timeliness(engine, year, authority, team)
    finally:
        engine.dispose()
    if as_csv:
        typer.echo(csv_text(report), nl=False)
        return
    scope = ", ".join(filter(None, (str(year), known.get(authority or ""), team))) or str(year)
    typer.echo(f"Timeliness, {scope}")
    for chart in report.charts:
        typer.echo("")
        typer.echo(f"{chart.measure.title} (of {chart.measure.of}, {chart.measure.counts})")
        for index, figure in enumerate(chart.months):
            if figure.denominator:
                typer.echo(f"  {MONTHS[index]:<10} {figure.numerator:>4} of {figure.denominator:<4} "
                           f"{figure.percentage_words:>5}")
        total = chart.year_total
        typer.echo(f"  {'The year':<10} {total.numerator:>4} of {total.denominator:<4} {total.percentage_words:>5}")


@report_app.command("rebuild")
def report_rebuild() -> None:
    """Fold every journey's records into its facts again (an existing database's first reports; idempotent)."""
    from activities.case_facts import rebuild
    from activities.db import make_engine

    engine = make_engine()
    try:
        journeys = rebuild(engine)
    finally:
        engine.dispose()
    whose = "journey's" if journeys == 1 else "journeys'"
    typer.echo(f"{journeys} {whose} facts folded from their records")
