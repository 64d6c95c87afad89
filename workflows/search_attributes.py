"""Search attributes a supervisor filters journeys by in the Temporal UI.

None holds personal data: the stage, the policy and its authority, the category of the plan, the next
deadline and whether one has passed, the lead social worker's staff number (never a name) and the team
that holds the case. Registered by ``cpj up`` (dev server flags), by ``cpj temporal
register-search-attributes`` and by the tests.

The UI shows a keyword as it is stored, so the ones a supervisor reads are words ("On a child protection
plan", "Core group meeting"); the older ones (``CpjStage``, ``CpjNextDeadlineKind``) keep their values,
which the caseload and the API filter by. A cluster on SQL visibility (the production shape's PostgreSQL,
the dev server) holds at most 10 custom Keyword, 3 Bool, 3 Datetime and 3 KeywordList attributes per
namespace: this list uses 9, 2, 3 and 1 of them.
"""

from datetime import date, datetime, time, timezone

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("CpjStage")
POLICY = SearchAttributeKey.for_keyword("CpjPolicy")
#: The instant the next deadline to meet passes, for sorting (see :func:`day_instant` for what it shows).
NEXT_DEADLINE = SearchAttributeKey.for_datetime("CpjNextDeadline")
NEXT_DEADLINE_KIND = SearchAttributeKey.for_keyword("CpjNextDeadlineKind")
OVERDUE = SearchAttributeKey.for_bool("CpjOverdue")
#: The case a complaint or disagreement is about (a case reference, never a name): a supervisor finds
#: a child's open challenges with ``WorkflowType = "ComplaintWorkflow" AND CpjCase = "..."``.
CASE = SearchAttributeKey.for_keyword("CpjCase")
#: Who holds a journey, for the caseload's filters: the lead social worker's staff number and the team,
#: as the authority names it. Set by journeys since the "caseload-attributes" patch (workflows.keeping).
LEAD_SOCIAL_WORKER = SearchAttributeKey.for_keyword("CpjLeadSocialWorker")
TEAM = SearchAttributeKey.for_keyword("CpjTeam")
# Since the "supervisor-view" patch (workflows.keeping, workflows.supervisor_view):
#: The authority whose procedure a journey, conference or complaint follows, as the profile names it ("Darlington").
AUTHORITY = SearchAttributeKey.for_keyword("CpjAuthority")
#: A journey's stage in words ("On a child protection plan").
STAGE_WORDS = SearchAttributeKey.for_keyword("CpjStageWords")
#: The category of a journey's plan in words ("Neglect").
CATEGORY = SearchAttributeKey.for_keyword("CpjCategory")
#: Every kind of deadline that has passed unmet, in words ("Core group meeting", "Lead social worker visit"):
#: a case with an overdue visit and an overdue core group matches a search for either.
OVERDUE_KINDS = SearchAttributeKey.for_keyword_list("CpjOverdueKinds")
#: A complaint, appeal or disagreement about the child's conferences is open (the journey's challenges list).
OPEN_COMPLAINT = SearchAttributeKey.for_bool("CpjOpenComplaint")
#: The day the child's plan started (for "plans over 18 months"), and the day its next review is due.
PLAN_STARTED = SearchAttributeKey.for_datetime("CpjPlanStarted")
REVIEW_DUE = SearchAttributeKey.for_datetime("CpjReviewDue")

ALL = (STAGE, POLICY, NEXT_DEADLINE, NEXT_DEADLINE_KIND, OVERDUE, CASE, LEAD_SOCIAL_WORKER, TEAM,
       AUTHORITY, STAGE_WORDS, CATEGORY, OVERDUE_KINDS, OPEN_COMPLAINT, PLAN_STARTED, REVIEW_DUE)


def day_instant(day: date) -> datetime:
    """How a day is indexed in a Datetime attribute: its noon, UTC.

    The UI shows the instant in UTC or the reader's zone; noon is the same day in both, summer or winter
    (midnight after the day, as ``CpjNextDeadline`` was before this, showed 10 December for a deadline due
    on the 9th). A search for days uses whole days: ``BETWEEN "2026-12-07T00:00:00Z" AND
    "2026-12-13T23:59:59Z"``. ``domain.deadlines.due_day_of`` reads it back as the same day.
    """
    return datetime.combine(day, time(12), timezone.utc)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags that register ALL on ``temporal server start-dev``."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool", "KEYWORD_LIST": "KeywordList"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}"]
    return flags
