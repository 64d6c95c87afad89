"""Record journey histories for the replay test (tests/workflows/test_replay.py).

A scenario that books a conference or opens a complaint records that workflow's history beside the
journey's (<name>.conference-<ref>.json, <name>.complaint-<ref>.json).

Run it when the workflow changes on purpose, *after* guarding the change with
``workflow.patched`` so that the histories recorded before it still replay:
    .venv/bin/python scripts/record_histories.py
Each scenario is written to tests/histories/<name>.json (``--tag T``: <name>.T.json, to record
the same scenarios again after a patched change, beside the histories from before it; ``--scenario S``
records only S); existing files are kept unless --overwrite is given, because old histories are what
protect running journeys. Payloads are encrypted as in production, with the test-only key in
tests/codec_keys.py (the replay test reads them with it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from activities.db import make_engine  # noqa: E402
from activities.notify import FileSender  # noqa: E402
import shipped  # noqa: E402, F401  (the calendars and released profiles the journeys count with)
from domain.deadlines import london_date  # noqa: E402
from domain.events import (  # noqa: E402
    ChildFound,
    ChildMissing,
    ConferenceBooked,
    ConferenceNotRequired,
    CoreGroupHeld,
    IcpcDelayAgreed,
    IcpcHeld,
    LeadSocialWorkerNamed,
    PlanEnded,
    ReviewHeld,
    ReviewScheduled,
    SignificantEvent,
    StrategyDiscussion,
    TransferIn,
    TransferOutNotified,
    VisitMade,
    workflow_id_for,
)
from starter.client import register_search_attributes  # noqa: E402
from starter.codec import data_converter  # noqa: E402
from tests.codec_keys import ring_of  # noqa: E402
from tests.conftest import TEST_SERVER, SettledJourneys, quiet  # noqa: E402
from worker import build_worker  # noqa: E402

HISTORIES = ROOT / "tests" / "histories"
#: Conference workflows a scenario books, recorded beside the journey's history.
CONFERENCES = {"icpc_through_a_household_conference": ["ICPC-0001"],
               "transfer_in_through_its_conference": ["TIC-0001"],
               "plan_complaint_birmingham_upheld_and_reconvened": ["RCPC-0002"]}
#: Complaint workflows a scenario opens, recorded beside the journey's history.
COMPLAINTS = {"plan_complaint_darlington_to_the_ombudsman": ["CMP-0001"],
              "plan_complaint_birmingham_upheld_and_reconvened": ["CMP-0001"]}


async def today(env):
    return london_date(await env.get_current_time())


async def plan_on_time(env, journeys, case):
    await journeys.start(case, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await today(env), initiated_section_47=True))
    await env.sleep(timedelta(days=8))
    await journeys.send(case, IcpcHeld(event_id="icpc-1", held_on=await today(env), decision="plan", category="neglect"))


async def overdue_then_no_plan(env, journeys, case):
    await journeys.start(case, "birmingham", StrategyDiscussion(event_id="sd-1", held_on=await today(env), initiated_section_47=True))
    await env.sleep(timedelta(days=30))
    await asyncio.sleep(1)  # let the escalation activities finish
    await journeys.send(case, IcpcHeld(event_id="icpc-1", held_on=await today(env), decision="no_plan"))


async def delay_agreed_then_second_discussion(env, journeys, case):
    await journeys.start(case, "staffordshire", StrategyDiscussion(event_id="sd-1", held_on=await today(env), initiated_section_47=False))
    await env.sleep(timedelta(days=2))
    await journeys.send(case, StrategyDiscussion(event_id="sd-2", held_on=await today(env), initiated_section_47=True))
    state = await journeys.state(case)
    await journeys.send(case, IcpcDelayAgreed(
        event_id="delay-1", agreed_on=await today(env), agreed_by="team_manager",
        reasons="Key agency reports not available in time", new_target=state.deadline("icpc").due + timedelta(days=5)))
    await env.sleep(timedelta(days=40))
    await asyncio.sleep(1)


async def not_required(env, journeys, case):
    await journeys.start(case, "sefton", StrategyDiscussion(event_id="sd-1", held_on=await today(env), initiated_section_47=True))
    await journeys.send(case, ConferenceNotRequired(
        event_id="nr-1", decided_on=await today(env), decided_by="team_manager",
        reasons="Section 47 enquiry found no continuing risk of significant harm"))


async def plan_through_first_review(env, journeys, case):
    await plan_on_time(env, journeys, case)
    state = await journeys.state(case)
    await journeys.send(case, LeadSocialWorkerNamed(event_id="lsw-1", named_on=await today(env), staff_ref="SW-1042",
                                                    team="Locality North"))
    await journeys.send(case, ReviewScheduled(
        event_id="book-1", scheduled_on=await today(env), review_date=state.deadline("review").due - timedelta(days=7)))
    for _ in range(6):
        state = await journeys.state(case)
        await env.sleep(timedelta(days=(state.deadline("visit").due - await today(env)).days))
        await journeys.send(case, VisitMade(event_id=f"visit-{await today(env)}", visited_on=await today(env),
                                            outcome="seen", bedroom_seen=True))
        if state.open_deadline("core_group") and state.deadline("core_group").due <= await today(env) + timedelta(days=3):
            await journeys.send(case, CoreGroupHeld(event_id=f"cg-{await today(env)}", held_on=await today(env),
                                                    attended=["social worker", "school"]))
    state = await journeys.state(case)
    await env.sleep(timedelta(days=(state.review_date - await today(env)).days))
    await journeys.send(case, ReviewHeld(event_id="review-1", held_on=await today(env), outcome="continue"))
    await asyncio.sleep(1)  # the journey continues as new
    await journeys.send(case, VisitMade(event_id="visit-after-review", visited_on=await today(env), outcome="no_access"))


async def plan_missing_child_then_ended(env, journeys, case):
    await journeys.start(case, "local-guide", StrategyDiscussion(event_id="sd-1", held_on=await today(env), initiated_section_47=True))
    await env.sleep(timedelta(days=6))
    await journeys.send(case, IcpcHeld(event_id="icpc-1", held_on=await today(env), decision="plan", category="sexual_abuse"))
    await journeys.send(case, ChildMissing(event_id="missing-1", reported_on=await today(env)))
    await env.sleep(timedelta(days=5))
    await asyncio.sleep(1)  # escalations for the missed visit and the untraced child
    await journeys.send(case, ChildFound(event_id="found-1", found_on=await today(env)))
    await journeys.send(case, SignificantEvent(event_id="se-1", occurred_on=await today(env), kind="police_involvement"))
    await journeys.send(case, PlanEnded(event_id="end-1", ended_on=await today(env), reason="became_looked_after"))


async def every_run(env, workflow_id):
    """The histories of a journey's runs, first to last, following each continue-as-new."""
    first = await env.client.get_workflow_handle(workflow_id).fetch_history()
    run_id = first.events[0].workflow_execution_started_event_attributes.first_execution_run_id
    histories, handle = [], env.client.get_workflow_handle(workflow_id, run_id=run_id)
    while True:
        history = await handle.fetch_history()
        histories.append(history)
        last = history.events[-1]
        if last.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            return histories
        new_run = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
        handle = env.client.get_workflow_handle(workflow_id, run_id=new_run)


async def icpc_through_a_household_conference(env, journeys, case):
    from domain.conference import ChildDecision, ConferenceHeld, ConferenceTaskDone, ExclusionRequested

    sibling = "REC-0002"
    for ref in (case, sibling):
        await journeys.start(ref, "darlington", StrategyDiscussion(event_id="sd-1", held_on=await today(env),
                                                                    initiated_section_47=True))
    await journeys.send(case, ConferenceBooked(
        event_id="book-1", booked_on=await today(env), conference_ref="ICPC-0001", kind="initial",
        meeting_on=await today(env) + timedelta(days=14), chair_ref="CPC-0042", chair_independent_of_the_case=True,
        siblings=[sibling]))
    await journeys.send_to_conference("ICPC-0001", ExclusionRequested(
        event_id="ex-1", requested_on=await today(env), parent_role="father",
        grounds=["presence_would_prejudice_the_childs_welfare"]))
    await env.sleep(timedelta(days=14))
    await asyncio.sleep(1)  # reminders and escalations of the reports not sent
    held = await today(env)
    await journeys.send_to_conference("ICPC-0001", ConferenceHeld(
        event_id="held-1", held_on=held, childrens_social_care_present=True,
        other_agencies_present=["school", "health visitor"], parents_present=False, decisions=[
            ChildDecision(case_ref=case, plan=True, category="neglect", agencies_for_plan=3, agencies_against_plan=0),
            ChildDecision(case_ref=sibling, plan=False, agencies_for_plan=0, agencies_against_plan=3)]))
    await asyncio.sleep(1)
    await journeys.send_to_conference("ICPC-0001", ConferenceTaskDone(
        event_id="done-1", task="decision_circulated", done_on=held))


async def transfer_in_through_its_conference(env, journeys, case):
    from domain.conference import ChildDecision, ConferenceHeld, Invitee, InvitationsSent

    await journeys.start(case, "darlington", TransferIn(event_id="t-1", agreed_on=await today(env),
                                                         originating_authority="Durham County Council",
                                                         category="neglect"))
    await journeys.send(case, ConferenceBooked(
        event_id="book-1", booked_on=await today(env), conference_ref="TIC-0001", kind="transfer_in",
        meeting_on=await today(env) + timedelta(days=12), chair_ref="CPC-0042", chair_independent_of_the_case=True))
    await journeys.send_to_conference("TIC-0001", InvitationsSent(
        event_id="inv-1", sent_on=await today(env),
        invitees=[Invitee(role="originating authority"), Invitee(role="mother", needs_interpreter=True)]))
    await env.sleep(timedelta(days=12))
    await asyncio.sleep(1)
    await journeys.send_to_conference("TIC-0001", ConferenceHeld(
        event_id="held-1", held_on=await today(env), childrens_social_care_present=True,
        other_agencies_present=["school", "GP"], parents_present=True,
        decisions=[ChildDecision(case_ref=case, plan=True, category="neglect", agencies_for_plan=3,
                                 agencies_against_plan=0)]))
    await asyncio.sleep(1)
    await journeys.send(case, TransferOutNotified(event_id="out-1", notified_on=await today(env),
                                                  receiving_authority="Leeds City Council"))


async def open_complaint(env, journeys, case, policy, ref="CMP-0001", **made):
    """A complaint about the case's ICPC, as the API opens one: on the journey's pinned policy."""
    from domain.complaints import ComplaintMade, ComplaintStart, ComplaintState, complaint_workflow_id
    from domain.released import pinned
    from shipped.profiles import load_profile
    from workflows.complaint import ComplaintWorkflow

    opening = ComplaintMade(event_id="c-1", received_on=await today(env), complainant="parent", about=["plan_decision"],
                            conference_ref="ICPC-0001", conference_chair_ref="CPC-0042", **made)
    start = ComplaintStart(complaint_ref=ref, case_ref=case, opening=opening, **pinned(load_profile(policy)))
    handle = await env.client.start_workflow(ComplaintWorkflow.run, start, id=complaint_workflow_id(ref),
                                             task_queue="record", result_type=ComplaintState)
    await quiet(env.client, handle.id)

    async def send(event):
        await handle.execute_update(ComplaintWorkflow.event, event)
        await quiet(env.client, handle.id)
        await quiet(env.client, workflow_id_for(case))
    return handle, send


async def complaint_darlington_to_the_ombudsman(env, journeys, case):
    from domain.complaints import (AppealGroundsDecided, AppealOutcomeSent, AppealSubcommitteeMet, DissatisfactionNotified,
                                   DocumentsConsidered, ReceiptAcknowledged, ReferredToScrutineer, ScrutineerResponded,
                                   ServiceManagerResponded)

    await plan_on_time(env, journeys, case)
    handle, send = await open_complaint(env, journeys, case, "darlington")
    await env.sleep(timedelta(days=16))  # the Service Manager's 10 working days pass: reminded, then escalated
    await asyncio.sleep(1)
    await send(ServiceManagerResponded(event_id="e-1", responded_on=await today(env)))
    await env.sleep(timedelta(days=2))
    await send(ReferredToScrutineer(event_id="e-2", received_on=await today(env)))
    await send(ReceiptAcknowledged(event_id="e-3", sent_on=await today(env)))
    await env.sleep(timedelta(days=7))
    await send(DocumentsConsidered(event_id="e-4", considered_on=await today(env)))
    await send(ScrutineerResponded(event_id="e-5", responded_on=await today(env)))
    await send(DissatisfactionNotified(event_id="e-6", notified_on=await today(env)))
    await send(AppealGroundsDecided(event_id="e-7", decided_on=await today(env), grounds=True))
    await env.sleep(timedelta(days=14))
    await send(AppealSubcommitteeMet(event_id="e-8", met_on=await today(env), chaired_by_independent_person=True,
                                     members_with_no_involvement=2))
    await send(AppealOutcomeSent(event_id="e-9", sent_on=await today(env), upheld=False))
    await handle.result()


async def complaint_birmingham_upheld_and_reconvened(env, journeys, case):
    from domain.complaints import FormalComplaintReceived, InformalResolutionEnded, PanelConvened, PanelDecided
    from domain.conference import ChildDecision, ConferenceHeld

    await journeys.start(case, "birmingham", StrategyDiscussion(event_id="sd-1", held_on=await today(env),
                                                                 initiated_section_47=True))
    await journeys.send(case, IcpcHeld(event_id="icpc-1", held_on=await today(env), decision="plan", category="neglect"))
    handle, send = await open_complaint(env, journeys, case, "birmingham")
    await env.sleep(timedelta(days=5))
    await send(InformalResolutionEnded(event_id="e-1", ended_on=await today(env), resolved=False))
    await send(FormalComplaintReceived(event_id="e-2", received_on=await today(env)))
    await send(PanelConvened(event_id="e-3", convened_on=await today(env), members=3,
                             members_with_previous_involvement=0, members_know_procedures=True))
    await env.sleep(timedelta(days=10))
    await send(PanelDecided(event_id="e-4", letter_sent_on=await today(env), upheld=True,
                            recommendations=["Reconvene the conference under another chair"]))
    await quiet(env.client, workflow_id_for(case))
    booked = await today(env)
    await journeys.send(case, ConferenceBooked(
        event_id="book-1", booked_on=booked, conference_ref="RCPC-0002", kind="review",
        meeting_on=booked + timedelta(days=5), chair_ref="CPC-0077", chair_independent_of_the_case=True))
    await env.sleep(timedelta(days=5))
    await asyncio.sleep(1)
    await journeys.send_to_conference("RCPC-0002", ConferenceHeld(
        event_id="held-1", held_on=await today(env), childrens_social_care_present=True,
        other_agencies_present=["school", "health visitor"], parents_present=True,
        decisions=[ChildDecision(case_ref=case, plan=True, category="emotional_abuse", agencies_for_plan=3,
                                 agencies_against_plan=0)]))
    await handle.result()
    await asyncio.sleep(1)  # the journey continues as new after the reconvened conference's decision


SCENARIOS = {
    "icpc_plan_on_time": plan_on_time,
    "icpc_overdue_then_no_plan": overdue_then_no_plan,
    "icpc_delay_agreed_after_second_discussion": delay_agreed_then_second_discussion,
    "icpc_not_required": not_required,
    "plan_through_first_review": plan_through_first_review,
    "plan_missing_child_then_ended": plan_missing_child_then_ended,
    "icpc_through_a_household_conference": icpc_through_a_household_conference,
    "transfer_in_through_its_conference": transfer_in_through_its_conference,
    "plan_complaint_darlington_to_the_ombudsman": complaint_darlington_to_the_ombudsman,
    "plan_complaint_birmingham_upheld_and_reconvened": complaint_birmingham_upheld_and_reconvened,
}


async def main(overwrite: bool, tag: str | None, only: list[str] | None = None) -> None:
    for scenario_name, scenario in SCENARIOS.items():
        if only and scenario_name not in only:
            continue
        name = f"{scenario_name}.{tag}" if tag else scenario_name
        target = HISTORIES / f"{name}.json"
        if (target.exists() or (HISTORIES / f"{name}.run1.json").exists()) and not overwrite:
            print(f"kept     {target.relative_to(ROOT)}")
            continue
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(TEST_SERVER),
            # Encrypted as in production, with the test-only key the replay test reads them with.
            data_converter=data_converter(ring_of())
        )
        try:
            await register_search_attributes(env.client)
            with tempfile.TemporaryDirectory() as tmp:
                engine = make_engine(f"sqlite:///{tmp}/records.db")
                async with build_worker(env.client, task_queue="record", engine=engine, sender=FileSender(Path(tmp) / "n.jsonl")):
                    # Each event answered once its records and letters are done, so a history is whole.
                    journeys = SettledJourneys(env.client, "record", clock=env.get_current_time, timeout=45)
                    case = "REC-0001"
                    await scenario(env, journeys, case)
                    await quiet(env.client, workflow_id_for(case))
                    runs = await every_run(env, workflow_id_for(case))
                    conferences = [await env.client.get_workflow_handle(f"cpj-conf-{ref}").fetch_history()
                                   for ref in CONFERENCES.get(scenario_name, [])]
                    complaints = [await env.client.get_workflow_handle(f"cpj-complaint-{ref}").fetch_history()
                                  for ref in COMPLAINTS.get(scenario_name, [])]
            HISTORIES.mkdir(parents=True, exist_ok=True)
            for number, history in enumerate(runs, start=1):
                path = target if len(runs) == 1 else HISTORIES / f"{name}.run{number}.json"
                path.write_text(history.to_json())
                print(f"recorded {path.relative_to(ROOT)} ({len(history.events)} events)")
            for ref, history in zip(CONFERENCES.get(scenario_name, []), conferences):
                path = HISTORIES / f"{name}.conference-{ref}.json"
                path.write_text(history.to_json())
                print(f"recorded {path.relative_to(ROOT)} ({len(history.events)} events)")
            for ref, history in zip(COMPLAINTS.get(scenario_name, []), complaints):
                path = HISTORIES / f"{name}.complaint-{ref}.json"
                path.write_text(history.to_json())
                print(f"recorded {path.relative_to(ROOT)} ({len(history.events)} events)")
        finally:
            await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--tag", help="record as <scenario>.<tag>.json, beside the older histories")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="record only this scenario (repeatable); default every one")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.overwrite, arguments.tag, arguments.scenario))
