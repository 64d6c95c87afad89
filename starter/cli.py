"""``cpj``: the command line for operations staff and scripts.

Output is stable for scripts: ``calendar add-working-days`` prints the ISO date
only; every listing has ``--json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import TypeAdapter, ValidationError
from typer.core import TyperGroup

from shipped.calendars import SHIPPED, is_shipped, latest_version, version_key
from domain.deadlines import calendar_for, icpc_deadline
from domain.events import (
    CaseRef, Category, ConferenceNotRequired, ConferenceRef, IcpcDelayAgreed, IcpcHeld, StrategyDiscussion, TransferIn,
)
from domain.policy import KNOWN_OPTIONS, KNOWN_RULES
from domain.state import Stage
from shipped.profiles import PolicyNotFound, load_profile, own_option_keys, own_rule_keys, profile_ids


def _explain(err: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {str(e['msg']).removeprefix('Value error, ')}"
                     for e in err.errors(include_url=False))


def _refusal(err: Exception) -> str | None:
    """What to tell the caller about ``err``, or None for a fault of ours (which keeps its traceback)."""
    if isinstance(err, ValidationError):
        return _explain(err)
    if isinstance(err, PolicyNotFound | ValueError):
        return str(err)
    client = sys.modules.get("starter.client")  # loaded only by commands that talk to Temporal
    if client is not None and isinstance(err, client.JourneyError):
        return str(err)
    return None


class _RefusingGroup(TyperGroup):
    """``cpj`` itself: whatever a command refuses is one line, ``error: ...``, and exit code 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as err:
            message = _refusal(err)
            if message is None:
                raise
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=2) from None


app = typer.Typer(help="cp-journeys: child protection case journeys on Temporal.", no_args_is_help=True,
                  cls=_RefusingGroup)
calendar_app = typer.Typer(help="Working days in England.", no_args_is_help=True)
policy_app = typer.Typer(help="Authority policy profiles.", no_args_is_help=True)
journey_app = typer.Typer(help="Start, inspect and move journeys.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
app.add_typer(policy_app, name="policy")
app.add_typer(journey_app, name="journey")
conference_app = typer.Typer(help="Conferences: their deadlines, the meeting and its record.", no_args_is_help=True)
app.add_typer(conference_app, name="conference")
complaint_app = typer.Typer(help="Complaints, appeals and disagreements about a conference.", no_args_is_help=True)
app.add_typer(complaint_app, name="complaint")
temporal_app = typer.Typer(help="Set up a Temporal cluster for journeys.", no_args_is_help=True)
app.add_typer(temporal_app, name="temporal")
from starter.db_cli import db_app  # noqa: E402  (cpj db: the records schema, in its own module)
app.add_typer(db_app, name="db")
from starter.users_cli import key_app, user_app  # noqa: E402  (cpj user, cpj service-key: who may sign in)
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="service-key")
from starter.register_cli import register_app  # noqa: E402  (cpj register: linking cases for the register)
app.add_typer(register_app, name="register")
from starter.import_cli import import_command  # noqa: E402  (cpj import: open cases from a CSV file)
app.command("import")(import_command)
from starter.census_cli import census_command  # noqa: E402  (cpj census: the CIN census's child protection part)
app.command("census")(census_command)
from starter.report_cli import report_app  # noqa: E402  (cpj report: the timeliness figures and their read model)
app.add_typer(report_app, name="report")



@app.callback()
def _who(
    acting_as: Annotated[Optional[str], typer.Option(
        "--as", metavar="STAFF_NUMBER", help="your staff number (or set CPJ_STAFF_REF): every command that shows or "
                                             "changes a case is recorded under it, and refused without it")] = None,
) -> None:
    """cp-journeys: child protection case journeys on Temporal."""
    from starter.audit import act_as

    act_as(acting_as)


PolicyOption = Annotated[str, typer.Option("--policy", help="policy profile id (see `cpj policy list`)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _reference(adapter: TypeAdapter, what: str, example: str):
    def check(value: str) -> str:
        try:
            return adapter.validate_python(value)
        except ValidationError as err:
            reason = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            if err.errors()[0]["type"] == "string_pattern_mismatch":
                reason = "capital letters, digits and hyphens, starting with a letter or digit"
            raise _fail(f"{value!r} is not a {what} ({reason}; e.g. {example})") from None

    return check


# Checked before Temporal is asked, and with the same rules as the API, so no argument can
# address another kind of workflow (``conf-...`` is a conference's id, never a journey's).
CaseRefArgument = Annotated[str, typer.Argument(
    callback=_reference(TypeAdapter(CaseRef), "case reference", "CASE-0042"), help="the case system's reference")]
ConferenceRefArgument = Annotated[str, typer.Argument(
    callback=_reference(TypeAdapter(ConferenceRef), "conference reference", "ICPC-0200"),
    help="the conference's reference")]


def _complaint_ref_check(value: str) -> str:
    from domain.complaints import ComplaintRef

    return _reference(TypeAdapter(ComplaintRef), "complaint reference", "CMP-0001")(value)


ComplaintRefArgument = Annotated[str, typer.Argument(callback=_complaint_ref_check,
                                                     help="the complaint's reference, e.g. CMP-0001")]


def _profile(policy_id: str):
    try:
        return load_profile(policy_id)
    except PolicyNotFound as err:
        raise _fail(str(err)) from None


def _starting_under(case_ref: str, profile=None) -> None:
    """A journey (or complaint) starts only under a reference of the authority's shape, never a name or a date
    of birth: refused here, before Temporal is asked, in words that never repeat it."""
    from domain.case_refs import CaseRefRefused, check

    try:
        check(case_ref, profile)
    except CaseRefRefused as err:
        raise _fail(str(err)) from None


# -- calendar ----------------------------------------------------------------


@calendar_app.command("add-working-days")
def add_working_days(
    start: Annotated[date, typer.Argument(formats=["%Y-%m-%d"], help="ISO date; day 0")],
    count: Annotated[int, typer.Argument(help="working days to add (negative counts back)")],
    policy: Annotated[Optional[str], typer.Option(help="apply this profile's local closure days")] = None,
) -> None:
    """Print the date COUNT working days after START (ISO date only), by the newest calendar."""
    closures = _profile(policy).closure_days if policy else ()
    typer.echo(calendar_for(latest_version(), tuple(closures)).add_working_days(start, count).isoformat())


@calendar_app.command("publish")
def calendar_publish(
    version: Annotated[Optional[str], typer.Argument(help="a shipped calendar version (default: the newest)")] = None,
) -> None:
    """Tell every running journey and conference of a calendar version (after scripts/build_calendar.py).

    Each counts its open deadlines not yet passed again by it, and records what moved;
    one already on that version or a later one ignores it.
    """
    version = version or latest_version()
    if not is_shipped(version):
        raise _fail(f"no calendar version {version!r}; shipped: {', '.join(sorted(SHIPPED, key=version_key))}")

    async def go():
        return await (await _journeys()).publish_calendar(version)

    told = _run(go())
    typer.echo(f"calendar {version} sent to {told} running workflow(s)")


# -- policy ------------------------------------------------------------------


@policy_app.command("list")
def policy_list(as_json: JsonOption = False) -> None:
    """List the policy profiles."""
    profiles = [load_profile(pid) for pid in profile_ids()]
    if as_json:
        rows = [{"id": p.id, "version": p.version, "authority": p.authority, "extends": p.extends} for p in profiles]
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(f"{'ID':<24} {'VERSION':<8} {'OWN RULES':>9}  AUTHORITY")
    for p in profiles:
        typer.echo(f"{p.id:<24} {p.version:<8} {len(own_rule_keys(p.id)):>9}  {p.authority}")


@policy_app.command("show")
def policy_show(name: str, as_json: JsonOption = False) -> None:
    """Show every rule of a profile with its source."""
    profile = _profile(name)
    if as_json:
        typer.echo(profile.model_dump_json(indent=2))
        return
    own = own_rule_keys(profile.id)
    typer.echo(f"{profile.pin}: {profile.authority}")
    if profile.description:
        typer.echo(profile.description)
    if profile.closure_days:
        typer.echo("Local closure days: " + ", ".join(d.isoformat() for d in profile.closure_days))
    typer.echo(f"\n{'RULE':<36} {'TIMESCALE':<24} SOURCE")
    for key in KNOWN_RULES:
        if key in profile.rules:
            rule = profile.rules[key]
            inherited = "" if key in own else f"  (from {profile.extends})"
            typer.echo(f"{key:<36} {rule.describe():<24} {rule.citation}{inherited}")
    if profile.options:
        typer.echo(f"\n{'OPTION':<36} {'VALUE':<24} SOURCE")
        for key in KNOWN_OPTIONS:
            if key in profile.options:
                option = profile.options[key]
                typer.echo(f"{key:<36} {str(option.value):<24} {option.citation}")


def _readings(profile) -> list[dict[str, str]]:
    """One row per rule, then per option: what we read in which sentence of which document, and how."""
    own = own_rule_keys(profile.id)
    own_options = own_option_keys(profile.id)
    rows = []
    for key, measures in KNOWN_RULES.items():
        if key in profile.rules:
            rule = profile.rules[key]
            rows.append({"rule": key, "measures": measures, "timescale": rule.describe(),
                         "document": rule.citation.document, "section": rule.citation.section,
                         "source": rule.citation.source, "quote": rule.citation.quote,
                         "reading": _reading(rule.note, None if key in own else profile.extends),
                         "inherited_from": None if key in own else profile.extends})
    for key, means in KNOWN_OPTIONS.items():
        if key in profile.options:
            option = profile.options[key]
            inherited = None if key in own_options else profile.extends
            rows.append({"rule": key, "measures": means, "timescale": option.describe(),
                         "document": option.citation.document, "section": option.citation.section,
                         "source": option.citation.source, "quote": option.citation.quote,
                         "reading": _reading(option.note, inherited), "inherited_from": inherited})
    return rows


def _reading(note: str, inherited_from: str | None) -> str:
    reading = note or "as written"
    if inherited_from:
        # An officer checks their own document line by line: say which lines it is not the source of.
        return f"not from this authority's procedure: the {inherited_from} rule, {reading}"
    return reading


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


@policy_app.command("readings")
def policy_readings(
    name: str,
    markdown: Annotated[bool, typer.Option("--markdown", help="a Markdown table, to paste into a document")] = False,
    as_json: JsonOption = False,
) -> None:
    """Each rule as we read it from the authority's procedure, to check line by line against the document."""
    profile = _profile(name)
    rows = _readings(profile)
    if as_json:
        typer.echo(json.dumps({"policy": profile.pin, "authority": profile.authority, "readings": rows}, indent=2))
        return
    if markdown:
        typer.echo("| What it measures | Timescale | Where | What it says | Our reading |")
        typer.echo("|---|---|---|---|---|")
        for row in rows:
            cells = [row["measures"], row["timescale"], f"{row['document']}, {row['section']}", row["quote"],
                     row["reading"]]
            typer.echo("| " + " | ".join(_cell(cell) for cell in cells) + " |")
        return
    typer.echo(f"{profile.pin}: {profile.authority}: each rule, where it comes from, and how we read it")
    for row in rows:
        quote = _cell(row["quote"]).replace("**", "")
        typer.echo(f"{row['measures']}: {row['timescale']} | {row['document']}, {row['section']} | "
                   f"\"{quote}\" | {_cell(row['reading'])}")


@policy_app.command("noted-readings")
def policy_noted_readings(
    markdown: Annotated[bool, typer.Option("--markdown", help="a Markdown table, to paste into a document")] = False,
    as_json: JsonOption = False,
) -> None:
    """Every sentence, in every authority's procedure, that we read other than as written, and how: one table."""
    rows = [{"policy": profile_id, **row} for profile_id in profile_ids()
            for row in _readings(load_profile(profile_id))
            if row["inherited_from"] is None and row["reading"] != "as written"]
    if as_json:
        typer.echo(json.dumps({"readings": rows}, indent=2))
        return
    if markdown:
        typer.echo("| Where | What it says | Our reading, and why |")
        typer.echo("|---|---|---|")
        for row in rows:
            typer.echo("| " + " | ".join(_cell(cell) for cell in (f"{row['document']}, {row['section']}",
                                                                 row["quote"], row["reading"])) + " |")
        return
    for row in rows:
        typer.echo(f"{row['document']}, {row['section']} | \"{_cell(row['quote']).replace('**', '')}\" | "
                   f"{_cell(row['reading'])}")


@policy_app.command("case-references")
def policy_case_references(
    markdown: Annotated[bool, typer.Option("--markdown", help="a Markdown table, to paste into a document")] = False,
    as_json: JsonOption = False,
) -> None:
    """What each authority's case system issues: the case references a journey may start under."""
    profiles = [load_profile(profile_id) for profile_id in profile_ids()]
    rows = [{"policy": p.id, "authority": p.authority, **p.case_reference.model_dump()} for p in profiles]
    if as_json:
        typer.echo(json.dumps({"case_references": rows}, indent=2))
        return
    if markdown:
        typer.echo("| Authority | A case reference is | For example | Pattern |")
        typer.echo("|---|---|---|---|")
        for row in rows:
            typer.echo("| " + " | ".join(_cell(cell) for cell in (row["authority"], row["words"], row["example"]))
                       + f" | `{_cell(row['pattern'])}` |")
        return
    for row in rows:
        typer.echo(f"{row['policy']:<22} {row['example']:<14} {row['words']}")


# -- deadlines ---------------------------------------------------------------


@app.command("deadlines")
def deadlines(
    policy: PolicyOption,
    strategy_discussion: Annotated[
        date, typer.Option(formats=["%Y-%m-%d"], help="date of the discussion that initiated the s47 enquiry")
    ],
    as_json: JsonOption = False,
) -> None:
    """Print the ICPC deadline for a strategy discussion, and why."""
    deadline = icpc_deadline(_profile(policy), strategy_discussion)
    if as_json:
        typer.echo(json.dumps({"kind": deadline.kind, "rule": deadline.rule, "due": deadline.due.isoformat(),
                               "reason": deadline.reason, "policy": _profile(policy).pin}, indent=2))
        return
    typer.echo(f"ICPC due by {deadline.due.isoformat()}: {deadline.reason}")


# -- journeys ----------------------------------------------------------------


def _run(coro):
    from starter.client import JourneyError

    try:
        return asyncio.run(coro)
    except JourneyError as err:
        raise _fail(str(err)) from None


_used_temporal = False


def _using_temporal() -> None:
    global _used_temporal
    _used_temporal = True


async def _journeys():
    """The journeys, as the command line's actor: their staff number in every event, every call in the audit log."""
    from activities.db import make_engine
    from starter.audit import AuditLog, NoActor, RecordedJourneys, cli_actor
    from starter.client import Journeys, connect, temporal_address

    try:
        actor = cli_actor()
    except NoActor as err:
        raise _fail(str(err)) from None
    _using_temporal()
    try:
        client = await connect()
    except RuntimeError as err:  # the SDK's "Failed client connect: ..."
        raise _fail(f"Temporal is not reachable at {temporal_address()} ({err}); is it running (cpj up)?") from None
    return RecordedJourneys(Journeys(client), actor, AuditLog(make_engine()))


def _event_id(event_id: Optional[str]) -> str:
    # Scripts that may retry pass their own id; a person typing a command gets a fresh one.
    return event_id or f"cli-{uuid.uuid4().hex[:12]}"


def _print_state(state, as_json: bool) -> None:
    if as_json:
        typer.echo(state.model_dump_json(indent=2))
        return
    typer.echo(f"case {state.case_ref}  stage {state.stage.value}  policy {state.policy}")
    if state.closed_because:
        typer.echo(f"closed: {state.closed_because}")
    for row in state.deadlines:
        typer.echo("  " + row.line())
    for escalation in state.escalations:
        typer.echo(f"  escalated: {escalation}")
    for line in state.undelivered:
        typer.echo(f"  not delivered: {line}")
    for line in getattr(state, "refused_feed", []):
        typer.echo(f"  refused from a feed: {line}")
    for line in state.failures:
        typer.echo(f"  not done: {line}")


EventIdOption = Annotated[Optional[str], typer.Option("--event-id", help="your id for this event; resending it is harmless")]
Day = Annotated[date, typer.Option(formats=["%Y-%m-%d"])]


@journey_app.command("start")
def journey_start(
    case_ref: CaseRefArgument,
    policy: PolicyOption,
    strategy_discussion: Day,
    no_section_47: Annotated[bool, typer.Option("--no-section-47", help="the discussion did not initiate an s47")] = False,
    event_id: EventIdOption = None,
) -> None:
    """Start a journey for CASE_REF from a strategy discussion."""
    _starting_under(case_ref, _profile(policy))
    event = _validated(StrategyDiscussion, event_id=_event_id(event_id), held_on=strategy_discussion,
                       initiated_section_47=not no_section_47)

    async def go():
        return await (await _journeys()).start(case_ref, policy, event)

    _print_started(_run(go()))


def _print_started(started) -> None:
    if started.resend:
        typer.echo(f"already started {started.workflow_id} (this opening event was sent before)")
    else:
        typer.echo(f"started {started.workflow_id}")


@journey_app.command("transfer-in")
def journey_transfer_in(
    case_ref: CaseRefArgument,
    policy: PolicyOption,
    agreed_on: Annotated[date, typer.Option(formats=["%Y-%m-%d"], help="day the two authorities agreed the transfer")],
    originating_authority: Annotated[str, typer.Option("--from", help="the authority whose plan the child is on")],
    category: Annotated[Category, typer.Option(help="the category of the originating plan")],
    moved_on: Annotated[date | None, typer.Option(
        formats=["%Y-%m-%d"], help="day the child moved here (needed where the procedure counts from the move)")] = None,
    event_id: EventIdOption = None,
) -> None:
    """Start a journey for a child on another authority's plan who has moved here."""
    _starting_under(case_ref, _profile(policy))
    event = _validated(TransferIn, event_id=_event_id(event_id), agreed_on=agreed_on, moved_on=moved_on,
                       originating_authority=originating_authority, category=category)

    async def go():
        return await (await _journeys()).start(case_ref, policy, event)

    _print_started(_run(go()))


@journey_app.command("show")
def journey_show(case_ref: CaseRefArgument, as_json: JsonOption = False) -> None:
    """Show a journey's stage and deadlines."""

    async def go():
        return await (await _journeys()).state(case_ref)

    _print_state(_run(go()), as_json)


@journey_app.command("list")
def journey_list(
    stage: Annotated[Optional[Stage], typer.Option(help="only journeys at this stage")] = None,
    overdue: Annotated[Optional[bool], typer.Option("--overdue/--not-overdue", help="only journeys with / without a deadline passed")] = None,
    policy: Annotated[Optional[str], typer.Option(help="policy profile id (any version), or a pin id@version")] = None,
    lead_social_worker: Annotated[Optional[str], typer.Option(help="only this lead social worker's cases (staff number)")] = None,
    team: Annotated[Optional[str], typer.Option(help="only this team's cases (its name, exactly)")] = None,
    case_ref: Annotated[Optional[str], typer.Option("--case-ref", help="only cases whose reference starts so")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="journeys per page")] = 100,
    page_token: Annotated[Optional[str], typer.Option(help="the token a page before printed after 'more:'")] = None,
    as_json: JsonOption = False,
) -> None:
    """List journeys (one row each, its latest run) with their next deadline, a page at a time."""

    async def go():
        return await (await _journeys()).list(stage=stage, overdue=overdue, policy=policy, page_size=page_size,
                                              page_token=page_token, lead_social_worker=lead_social_worker,
                                              team=team, case_ref=case_ref)

    page = _run(go())
    if as_json:
        typer.echo(json.dumps({"journeys": [
            {**row.__dict__, "next_deadline": row.next_deadline.isoformat() if row.next_deadline else None,
             "next_due": row.next_due.isoformat() if row.next_due else None}
            for row in page.journeys
        ], "next_page_token": page.next_page_token}, indent=2))
        return
    typer.echo(f"{'CASE':<20} {'STATUS':<10} {'STAGE':<20} {'NEXT':<18} OVERDUE")
    for row in page.journeys:
        nxt = f"{row.next_deadline_kind} {row.next_due}" if row.next_due else "-"
        typer.echo(f"{row.case_ref:<20} {row.status:<10} {row.stage or '-':<20} {nxt:<18} {'yes' if row.overdue else ''}")
    if page.next_page_token:
        # Never a silent cap: the rest is one command away.
        typer.echo(f"more: --page-token {page.next_page_token}")


def _send(case_ref: str, event) -> None:
    async def go():
        return await (await _journeys()).send_event(case_ref, event)

    answer = _run(go())
    if answer.receipt.resend:
        typer.echo(f"already recorded: event {event.event_id} was sent before; nothing changed")
    _print_state(answer.state, as_json=False)


def _invalid(err: ValidationError) -> typer.Exit:
    return _fail(_explain(err))


def _validated(model, **fields):
    try:
        return model(**fields)
    except ValidationError as err:
        raise _invalid(err) from None


@journey_app.command("strategy-discussion")
def journey_strategy_discussion(
    case_ref: CaseRefArgument,
    held_on: Day,
    no_section_47: Annotated[bool, typer.Option("--no-section-47")] = False,
    event_id: EventIdOption = None,
) -> None:
    """Record a later strategy discussion (one that initiates the s47 moves the ICPC deadline)."""
    _send(case_ref, _validated(StrategyDiscussion, event_id=_event_id(event_id), held_on=held_on,
                               initiated_section_47=not no_section_47))


@journey_app.command("delay-agreed")
def journey_delay_agreed(
    case_ref: CaseRefArgument,
    agreed_on: Day,
    new_target: Day,
    reasons: Annotated[str, typer.Option(help="the team manager's reasons, as recorded")],
    event_id: EventIdOption = None,
) -> None:
    """Record the team manager's written agreement to hold the ICPC late."""
    _send(case_ref, _validated(IcpcDelayAgreed, event_id=_event_id(event_id), agreed_on=agreed_on,
                               agreed_by="team_manager", reasons=reasons, new_target=new_target))


@journey_app.command("icpc-held")
def journey_icpc_held(
    case_ref: CaseRefArgument,
    held_on: Day,
    decision: Annotated[str, typer.Option(help="plan or no_plan")],
    category: Annotated[Optional[Category], typer.Option(help="category of a plan")] = None,
    event_id: EventIdOption = None,
) -> None:
    """Record that the ICPC was held, and its decision."""
    _send(case_ref, _validated(IcpcHeld, event_id=_event_id(event_id), held_on=held_on, decision=decision,
                               category=category))


@journey_app.command("not-required")
def journey_not_required(
    case_ref: CaseRefArgument,
    decided_on: Day,
    reasons: Annotated[str, typer.Option(help="the team manager's reasons")],
    event_id: EventIdOption = None,
) -> None:
    """Record the team manager's decision that no ICPC is required."""
    _send(case_ref, _validated(ConferenceNotRequired, event_id=_event_id(event_id), decided_on=decided_on,
                               decided_by="team_manager", reasons=reasons))


@journey_app.command("event")
def journey_event(
    case_ref: CaseRefArgument,
    event: Annotated[str, typer.Argument(help="the event as JSON with its \"type\", or @FILE, or - for stdin")],
) -> None:
    """Send any journey event as JSON (the same shape as the service API), e.g. a plan's visit:

    cpj journey event CASE-0001 '{"type": "visit_made", "event_id": "v-1", "visited_on": "2027-01-05", "outcome": "seen"}'
    """
    from domain.events import JourneyEvent

    _send(case_ref, _read_event(event, JourneyEvent))


@journey_app.command("event-types")
def journey_event_types(as_json: JsonOption = False) -> None:
    """Every event a journey takes: its type, what staff call it, and an example to send with `journey event`."""
    from domain.events import EVENT_TYPES

    rows = [{"type": kind, "title": model.title, "date_field": model.date_field, "example": model.example()}
            for kind, model in EVENT_TYPES.items()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['type']:<30} {row['title']}\n    {json.dumps(row['example'])}")


def _read_event(event: str, adapter_type):
    try:
        text = sys.stdin.read() if event == "-" else Path(event[1:]).read_text() if event.startswith("@") else event
    except (OSError, UnicodeDecodeError) as err:
        raise _fail(f"cannot read the event from {event}: {err.strerror if isinstance(err, OSError) else err}") from None
    try:
        return TypeAdapter(adapter_type).validate_json(text)
    except ValidationError as err:
        raise _invalid(err) from None


@conference_app.command("show")
def conference_show(conference_ref: ConferenceRefArgument) -> None:
    """Show a conference's stage and deadlines (JSON)."""

    async def go():
        return await (await _journeys()).conference(conference_ref)

    typer.echo(_run(go()).model_dump_json(indent=2))


@conference_app.command("event")
def conference_event(
    conference_ref: ConferenceRefArgument,
    event: Annotated[str, typer.Argument(help="the event as JSON with its \"type\", or @FILE, or - for stdin")],
) -> None:
    """Send a conference event as JSON (the same shape as POST /api/conferences/REF/events)."""
    from domain.conference import ConferenceEvent

    parsed = _read_event(event, ConferenceEvent)

    async def go():
        return await (await _journeys()).send_to_conference(conference_ref, parsed)

    typer.echo(_run(go()).model_dump_json(indent=2))


# -- complaints, appeals and disagreements --------------------------------------


def _print_started_complaint(started) -> None:
    if started.resend:
        typer.echo(f"already started {started.workflow_id} (this opening was sent before)")
    else:
        typer.echo(f"started {started.workflow_id}")


def _start_complaint(complaint_ref: str, case_ref: str, opening) -> None:
    _starting_under(case_ref)

    async def go():
        journeys = await _journeys()
        started = await journeys.start_complaint(complaint_ref, case_ref, opening)
        return started, await journeys.complaint(complaint_ref)

    started, state = _run(go())
    _print_started_complaint(started)
    _print_complaint(state)


@complaint_app.command("start")
def complaint_start(
    case_ref: CaseRefArgument,
    complaint_ref: ComplaintRefArgument,
    received_on: Annotated[date, typer.Option(formats=["%Y-%m-%d"], help="the day the complaint was received")],
    by: Annotated[str, typer.Option("--by", help="who complains, by their part in the child's life (parent, child, "
                                                 "carer, significant_person, professional_acting_for_the_child, "
                                                 "advocate, practitioner, invited_professional); never a name")],
    about: Annotated[list[str], typer.Option("--about", help="what it is about (repeat for more): conference_process, "
                                                             "category, plan_decision, agency_service, "
                                                             "chair_not_following_procedures")],
    conference: Annotated[Optional[str], typer.Option(help="the conference complained about, e.g. ICPC-0001")] = None,
    chair: Annotated[Optional[str], typer.Option(help="its chair's staff number, e.g. CPC-0042")] = None,
    event_id: EventIdOption = None,
) -> None:
    """Start a complaint about a conference on CASE_REF, as COMPLAINT_REF; the authority's procedure may refuse it."""
    from domain.complaints import ComplaintMade

    opening = _validated(ComplaintMade, event_id=_event_id(event_id), received_on=received_on, complainant=by,
                         about=about, conference_ref=conference, conference_chair_ref=chair)
    _start_complaint(complaint_ref, case_ref, opening)


@complaint_app.command("disagree")
def complaint_disagree(
    case_ref: CaseRefArgument,
    complaint_ref: ComplaintRefArgument,
    received_on: Annotated[date, typer.Option(formats=["%Y-%m-%d"], help="the day the written request was received")],
    about: Annotated[str, typer.Option(help="icpc_not_held (a decision not to hold an ICPC) or conference_outcome")],
    raised_by: Annotated[str, typer.Option(help="agency, professional or conference_chair")],
    agency: Annotated[Optional[str], typer.Option(help="which agency or role, e.g. school (never a name)")] = None,
    conference: Annotated[Optional[str], typer.Option(help="the conference disagreed with, e.g. ICPC-0001")] = None,
    chair: Annotated[Optional[str], typer.Option(help="its chair's staff number, e.g. CPC-0042")] = None,
    event_id: EventIdOption = None,
) -> None:
    """Start a disagreement on CASE_REF, as COMPLAINT_REF (Birmingham procedures, 7)."""
    from domain.complaints import DisagreementRaised

    opening = _validated(DisagreementRaised, event_id=_event_id(event_id), received_on=received_on, about=about,
                         raised_by=raised_by, agency=agency, conference_ref=conference, conference_chair_ref=chair)
    _start_complaint(complaint_ref, case_ref, opening)


@complaint_app.command("event")
def complaint_event(
    complaint_ref: ComplaintRefArgument,
    event: Annotated[str, typer.Argument(help="the event as JSON with its \"type\", or @FILE, or - for stdin")],
) -> None:
    """Record a stage of a complaint as JSON (the same shape as POST /api/complaints/REF/events), e.g.

    cpj complaint event CMP-0001 '{"type": "service_manager_responded", "event_id": "r-1", "responded_on": "2026-12-01"}'
    """
    from domain.complaints import ComplaintEvent

    parsed = _read_event(event, ComplaintEvent)

    async def go():
        return await (await _journeys()).send_complaint_event(complaint_ref, parsed)

    answer = _run(go())
    if answer.receipt.resend:
        typer.echo(f"already recorded: event {parsed.event_id} was sent before; nothing changed")
    _print_complaint(answer.state)


@complaint_app.command("show")
def complaint_show(complaint_ref: ComplaintRefArgument, as_json: JsonOption = False) -> None:
    """Show a complaint: where it stands, its deadlines and why, what it waits for, and the letters sent."""

    async def go():
        journeys = await _journeys()
        state = await journeys.complaint(complaint_ref)
        return state, await journeys.complaint_letters(complaint_ref)

    state, letters = _run(go())
    if as_json:
        data = state.model_dump(mode="json")
        data["letters"] = [{**letter.__dict__, "sent_on": letter.sent_on.isoformat()} for letter in letters]
        typer.echo(json.dumps(data, indent=2))
        return
    _print_complaint(state)
    if letters:
        typer.echo("letters:")
    for letter in letters:
        pending = "" if letter.delivered else " (not yet sent)"
        typer.echo(f"  {letter.sent_on} to the {letter.to_role.replace('_', ' ')}: {letter.subject}{pending}")


def _print_complaint(state) -> None:
    from domain.complaints import EXPECTED, ENDED
    from starter.web.labels import CHALLENGE_KIND_LABELS, COMPLAINT_EVENT_LABELS, COMPLAINT_STAGE_LABELS, PROCESS_LABELS

    typer.echo(f"{CHALLENGE_KIND_LABELS[state.kind]} {state.complaint_ref} about case {state.case_ref}, "
               f"received {state.received_on}, policy {state.policy}")
    if state.process:
        typer.echo(f"procedure: {PROCESS_LABELS[state.process]}")
    typer.echo(f"stage: {COMPLAINT_STAGE_LABELS[state.stage]}")
    if state.refused_because:
        typer.echo(f"refused: {state.refused_because}")
    elif state.closed_because:
        typer.echo(f"closed {state.closed_on}: {state.closed_because}")
    for row in state.deadlines:
        typer.echo("  " + row.line())
    if state.stage not in ENDED:
        waits = ", ".join(f"{COMPLAINT_EVENT_LABELS[model.model_fields['type'].default]} "
                          f"({model.model_fields['type'].default})" for model in EXPECTED[state.stage])
        typer.echo(f"next: {waits}")
    for line in state.undelivered:
        typer.echo(f"  not delivered: {line}")
    for line in state.failures:
        typer.echo(f"  not done: {line}")


@complaint_app.command("list")
def complaint_list(case_ref: CaseRefArgument, as_json: JsonOption = False) -> None:
    """List a case's complaints and disagreements, open and closed."""

    async def go():
        return await (await _journeys()).complaints_of(case_ref)

    rows = _run(go())
    if as_json:
        typer.echo(json.dumps([{**row.__dict__, "opened_on": row.opened_on.isoformat() if row.opened_on else None,
                                "closed_on": row.closed_on.isoformat() if row.closed_on else None,
                                "next_deadline": row.next_deadline.isoformat() if row.next_deadline else None,
                                "next_due": row.next_due.isoformat() if row.next_due else None, "open": row.open}
                               for row in rows], indent=2))
        return
    if not rows:
        typer.echo(f"no complaints or disagreements about case {case_ref}")
        return
    from starter.web.labels import COMPLAINT_STAGE_LABELS, words

    for row in rows:
        state = "open" if row.open else "closed"
        stage = words(COMPLAINT_STAGE_LABELS, row.stage) if row.stage else "-"
        nxt = f"; next: {row.next_deadline_kind.replace('_', ' ')} due {row.next_due}" if row.next_due else ""
        overdue = " OVERDUE" if row.overdue else ""
        about = f" {row.about}:" if row.about else ""
        outcome = f" ({row.outcome})" if row.outcome else ""
        typer.echo(f"{row.complaint_ref:<14} {state:<7}{about} {stage}{outcome}{nxt}{overdue}")


@complaint_app.command("event-types")
def complaint_event_types(as_json: JsonOption = False) -> None:
    """Every event a complaint takes: its type, what staff call it, and an example for `complaint event`."""
    from domain.complaints import COMPLAINT_EVENT_TYPES

    rows = [{"type": kind, "title": model.title, "date_field": model.date_field, "example": model.example()}
            for kind, model in COMPLAINT_EVENT_TYPES.items()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['type']:<30} {row['title']}\n    {json.dumps(row['example'])}")


# -- running -----------------------------------------------------------------


@temporal_app.command("register-search-attributes")
def register_search_attributes_command() -> None:
    """Register the journey search attributes on CPJ_TEMPORAL_ADDRESS (safe to repeat)."""
    from starter.client import connect, register_search_attributes

    async def go():
        _using_temporal()
        return await register_search_attributes(await connect())

    added = asyncio.run(go())
    typer.echo("added " + ", ".join(added) if added else "search attributes already registered")


# -- who may do what, and who did --------------------------------------------------------------

roles_app = typer.Typer(help="Roles and who may do what.", no_args_is_help=True)
app.add_typer(roles_app, name="roles")


@roles_app.command("table")
def roles_table(
    markdown: Annotated[bool, typer.Option("--markdown", help="the table as the README shows it")] = False,
) -> None:
    """The one table of who may do what: each action and the roles that may do it."""
    from starter.permissions import table_markdown, table_text

    typer.echo(table_markdown() if markdown else table_text())


@app.command("audit")
def audit_command(
    case_ref: Annotated[Optional[str], typer.Argument(help="a case: its rows and those of its conferences and "
                                                           "complaints (default: everyone's newest rows)")] = None,
    staff_ref: Annotated[Optional[str], typer.Option("--by", help="only this staff number's (or service:name's) rows")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="at most this many rows, newest first")] = 200,
    as_json: JsonOption = False,
) -> None:
    """Who did and who looked at what: the audit log, newest first (reading it is itself recorded)."""
    from activities.db import make_engine
    from starter.audit import AuditLog, NoActor, cli_actor, looked_at_by
    from starter.permissions import Action

    if case_ref is not None:
        case_ref = _reference(TypeAdapter(CaseRef), "case reference", "CASE-0042")(case_ref)
    try:
        actor = cli_actor()
    except NoActor as err:
        raise _fail(str(err)) from None
    audit = AuditLog(make_engine())
    audit.write(actor, Action.READ_AUDIT_LOG, "view audit log", via="cli", case_ref=case_ref)
    if case_ref is None:
        entries = audit.latest(limit, staff_ref)
    else:
        entries = [row for row in audit.of_case(case_ref, limit=limit) if not staff_ref or row.actor == staff_ref]
    rows = looked_at_by(entries)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        where = row["subject_ref"] or row["case_ref"] or "-"
        typer.echo(f"{row['at'][:19]}  {row['actor']:<20} {row['what']:<28} {where:<16} {row['outcome']:<10} "
                   f"{row['via']} {row['client_address'] or ''}".rstrip())


@app.command("worker")
def worker_command(
    health: Annotated[bool, typer.Option("--health", help="exit 0 if this container's worker has a fresh heartbeat "
                                         "(it answers, and reaches Temporal and the records database), 1 if not")] = False,
) -> None:
    """Run a worker against CPJ_TEMPORAL_ADDRESS."""
    if health:
        from starter.worker_health import check

        healthy, sentence = check()
        typer.echo(sentence, err=not healthy)
        raise typer.Exit(0 if healthy else 1)
    import worker

    _using_temporal()
    asyncio.run(worker.main())


@app.command("web")
def web_command(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Run the admin tool and service API against CPJ_TEMPORAL_ADDRESS."""
    import uvicorn

    from starter.web import create_app

    from activities.log import configure_logging

    _using_temporal()
    configure_logging()
    # uvicorn's own lines (start, errors, each request) through our logging: JSON in production, no query strings.
    uvicorn.run(create_app(), host=host, port=port, log_config=None)


@app.command("up")
def up_command(
    data_dir: Annotated[str, typer.Option(help="where journeys and records are kept")] = "data",
    web_port: Annotated[int, typer.Option()] = 8000,
    temporal_port: Annotated[int, typer.Option()] = 7233,
    ui_port: Annotated[int, typer.Option()] = 8233,
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 to serve other machines)")] = "127.0.0.1",
) -> None:
    """The main job: embedded Temporal dev server, the worker and the admin tool."""
    from starter.up import run_everything

    _using_temporal()
    asyncio.run(
        run_everything(data_dir=data_dir, web_port=web_port, temporal_port=temporal_port, ui_port=ui_port, host=host)
    )


def main() -> None:
    """The ``cpj`` command: typer's app, with a clean exit once Temporal has been used."""
    try:
        app()
    except SystemExit as done:
        if not _used_temporal:
            raise
        # The Temporal client's Rust threads can outlive the event loop and abort the interpreter
        # while it finalizes (temporalio/sdk-python#300): once the answer is out, leave at once.
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if isinstance(done.code, str):
            print(done.code, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
