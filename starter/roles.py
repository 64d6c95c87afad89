"""Who people and services are to the service: the roles every action is checked against.

One list, used by sign-in (a provider's groups and local accounts map to these), by the table of
who may do what (``starter.permissions``), and by the audit log. Staff are known by their staff
number, never by name.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATIONS_STAFF = "operations_staff"
    LEAD_SOCIAL_WORKER = "lead_social_worker"
    TEAM_MANAGER = "team_manager"
    CONFERENCE_CHAIR = "conference_chair"
    SERVICE_MANAGER = "service_manager"
    SUPERVISOR = "supervisor"
    REGISTER_ENQUIRER = "register_enquirer"
    ADMINISTRATOR = "administrator"


#: Each role as staff read it on a page.
ROLE_WORDS: dict[Role, str] = {
    Role.OPERATIONS_STAFF: "Operations staff",
    Role.LEAD_SOCIAL_WORKER: "Lead social worker",
    Role.TEAM_MANAGER: "Team manager",
    Role.CONFERENCE_CHAIR: "Conference chair",
    Role.SERVICE_MANAGER: "Service manager",
    Role.SUPERVISOR: "Supervisor (reads, changes nothing)",
    Role.REGISTER_ENQUIRER: "Register enquirer",
    Role.ADMINISTRATOR: "Administrator",
}
