"""Search attributes a supervisor filters journeys by in the Temporal UI.

None holds personal data: the stage, the policy, the next deadline and whether
one has passed, the lead social worker's staff number (never a name) and the team
that holds the case. Registered by ``cpj up`` (dev server flags), by ``cpj temporal
register-search-attributes`` and by the tests.
"""

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("CpjStage")
POLICY = SearchAttributeKey.for_keyword("CpjPolicy")
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

ALL = (STAGE, POLICY, NEXT_DEADLINE, NEXT_DEADLINE_KIND, OVERDUE, CASE, LEAD_SOCIAL_WORKER, TEAM)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags that register ALL on ``temporal server start-dev``."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "BOOL": "Bool"}
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}"]
    return flags
