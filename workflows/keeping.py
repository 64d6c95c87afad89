"""What every workflow of ours does with its deadlines, records and notices.

A journey and a conference both keep a table of deadlines, wait on the nearest
with a named timer, escalate once to the role ``domain.deadlines.KINDS`` names
when one passes, write records and send notices through idempotent
activities, and show their table as current details in the Temporal UI. This
mixin is that shared part; each workflow supplies ``_state`` (with
``deadlines``, ``escalations``, ``event_ids``, ``undelivered``, ``reminded``,
``case_ref``, ``policy``, ``stage``), ``_profile``, ``_changed`` and
``_details_heading``.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from activities.records import RecordActivities
    from domain.deadlines import KINDS, Deadline, DeadlineStatus, end_of_day, london_date
    from domain.effects import NotificationRequest, RecordRequest, effect_key
    from domain.plan import Notice
    from workflows import search_attributes as sa

ACTIVITY_TIMEOUT = timedelta(seconds=30)
# Records and letters must not be lost: retry for as long as it takes, but calmly.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))


class EventRejected(ApplicationError):
    """An event that does not fit; raised in validators, so it never enters history."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="EventRejected", non_retryable=True)


class DeadlineKeeping:
    _kind_of_workflow = "journey"

    async def _wait_for_event_or_deadline(self) -> None:
        self._changed = False
        self._publish()
        deadline = self._state.next_open()
        if deadline is None:
            await workflow.wait_condition(lambda: self._changed)
            return
        if await self._remind_first(deadline):
            return
        remaining = end_of_day(deadline.alarm_date) - workflow.now()
        if remaining > timedelta(0):
            try:
                await workflow.wait_condition(
                    lambda: self._changed, timeout=remaining, timeout_summary=self._timer_summary(deadline)
                )
                return
            except asyncio.TimeoutError:
                pass
        await self._escalate_overdue(deadline)

    def _timer_summary(self, deadline: Deadline) -> str:
        kind = KINDS[deadline.kind]
        then = f"escalate to {kind.escalate_to.replace('_', ' ')} if not {kind.unmet}"
        if deadline.agreed_target:
            return f"{deadline.label} agreed delay ends {deadline.agreed_target} (due {deadline.due}): {then}"
        rule = self._profile.rules.get(deadline.rule)
        return f"{deadline.label} due {deadline.due} ({rule.describe() if rule else deadline.reason}): {then}"

    async def _escalate_overdue(self, deadline: Deadline) -> None:
        kind = KINDS[deadline.kind]
        deadline.status = DeadlineStatus.OVERDUE
        passed = deadline.alarm_date
        what = f"{deadline.kind}-overdue-{passed.isoformat()}"
        self._state.escalations.append(what)
        agreed = f"the agreed delay to {passed}" if deadline.agreed_target else f"its deadline {deadline.due}"
        summary = f"{deadline.label} not {kind.unmet} by {agreed}"
        self._publish()
        await self._record(what, f"{deadline.kind}_overdue", passed, summary, {"reason": deadline.reason})
        await self._notify(what, "escalation", Notice(
            role=kind.escalate_to,
            template="overdue_escalation",
            subject=f"Overdue: {deadline.label} for case {self._state.case_ref}",
            body=f"{summary}. {deadline.reason}. {kind.advice}",
        ))

    async def _remind_first(self, deadline: Deadline) -> bool:
        """Remind whoever owns ``deadline`` the working day before it; True if the wait was cut short.

        Journeys do not remind (only conferences do), so for them this returns at once.
        """
        remind_on = self._reminder_day(deadline)
        key = f"{deadline.kind}-{deadline.due.isoformat()}"
        if remind_on is None or key in self._state.reminded or workflow.now() >= end_of_day(deadline.alarm_date):
            return False
        kind = KINDS[deadline.kind]
        remind_at = end_of_day(remind_on - timedelta(days=1))  # the start of the reminder day
        if remind_at > workflow.now():
            try:
                await workflow.wait_condition(
                    lambda: self._changed, timeout=remind_at - workflow.now(),
                    timeout_summary=f"Remind {kind.escalate_to.replace('_', ' ')}: {deadline.label} due {deadline.due}",
                )
                return True
            except asyncio.TimeoutError:
                pass
        self._state.reminded.append(key)
        await self._notify(key, "reminder", Notice(
            role=kind.escalate_to,
            template="deadline_reminder",
            subject=f"Due {deadline.due}: {deadline.label} for case {self._state.case_ref}",
            body=f"{deadline.label} is due by {deadline.due} ({deadline.reason}). {kind.advice}",
        ))
        return True

    def _reminder_day(self, deadline: Deadline) -> date | None:
        return None

    async def _record(self, event_id: str, kind: str, occurred_on: date, summary: str, details: dict) -> None:
        workflow_id = workflow.info().workflow_id
        await self._run(
            RecordActivities.write_record,
            RecordRequest(
                key=effect_key(workflow_id, event_id, kind),
                case_ref=self._state.case_ref,
                workflow_id=workflow_id,
                kind=kind,
                occurred_on=occurred_on,
                summary=summary,
                details={"policy": self._state.policy, **details},
            ),
            f"Record: {summary}",
        )

    async def _notify(self, event_id: str, what: str, notice: Notice) -> None:
        """Send a notice; one that can never be sent is recorded, and the journey goes on."""
        workflow_id = workflow.info().workflow_id
        try:
            await self._send(workflow_id, event_id, what, notice)
        except ActivityError as err:
            # Only a non-retryable failure gets here (a role with no address, Notify refusing the
            # request): failing the journey would stop every deadline, so it is shown and recorded.
            cause = err.cause.message if isinstance(err.cause, ApplicationError) else str(err.cause or err)
            self._state.undelivered.append(f"{notice.role}: {notice.subject} ({cause})")
            workflow.logger.warning("notification not delivered", extra={"role": notice.role, "cause": cause})
            await self._record(f"{event_id}/{what}", "notification_undelivered", london_date(workflow.now()),
                               f"Not delivered to {notice.role.replace('_', ' ')}: {notice.subject}", {"cause": cause})

    async def _send(self, workflow_id: str, event_id: str, what: str, notice: Notice) -> None:
        await self._run(
            NotifyActivities.send_notification,
            NotificationRequest(
                reference=effect_key(workflow_id, event_id, what),
                case_ref=self._state.case_ref,
                workflow_id=workflow_id,
                template=notice.template,
                recipient_role=notice.role,
                subject=notice.subject,
                body=notice.body,
            ),
            f"Notify {notice.role.replace('_', ' ')}: {notice.subject}",
        )

    @staticmethod
    async def _run(activity, request, summary: str) -> None:
        """Run one of the journey's activities; its summary is what a supervisor reads in the UI."""
        await workflow.execute_activity_method(
            activity, request, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY, summary=summary
        )

    def _accept(self, event_id: str) -> None:
        self._state.event_ids.append(event_id)
        self._changed = True

    def _check_new_event(self, event_id: str) -> None:
        if event_id in self._state.event_ids:
            raise EventRejected(f"event {event_id} was already recorded on this {self._kind_of_workflow}")

    def _check_not_future(self, day: date, field: str) -> None:
        today = london_date(workflow.now())
        if day > today:
            raise EventRejected(f"{field} {day} is in the future (today is {today})")

    def _publish(self) -> None:
        """Show the deadline table in the UI and index the next deadline for search."""
        state = self._state
        upcoming = state.next_open()
        overdue = any(row.status is DeadlineStatus.OVERDUE for row in state.deadlines)
        index = {
            sa.STAGE: state.stage.value,
            sa.POLICY: state.policy,
            sa.OVERDUE: overdue,
            sa.NEXT_DEADLINE: end_of_day(upcoming.alarm_date) if upcoming else None,
            sa.NEXT_DEADLINE_KIND: upcoming.kind if upcoming else None,
        }
        changed = [
            key.value_set(value) if value is not None else key.value_unset()
            for key, value in index.items()
            if self._indexed.get(key.name, "unset") != value
        ]
        if changed:
            # Only what changed: every upsert is an event in a history that may run for years.
            workflow.upsert_search_attributes(changed)
            self._indexed.update({key.name: value for key, value in index.items()})
        lines = [*self._details_heading(), "", "| deadline | due | status | why |", "|---|---|---|---|"]
        for row in state.deadlines:
            status = row.status.value + (f", agreed delay to {row.agreed_target}" if row.agreed_target else "")
            lines.append(f"| {row.label} | {row.due} | {status} | {row.reason} |")
        workflow.set_current_details("\n".join(lines))
