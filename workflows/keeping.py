"""What every workflow of ours does with its deadlines, records and notices.

A journey and a conference both keep a table of deadlines, wait on the nearest
with a named timer, escalate once to the role ``domain.deadlines.KINDS`` names
when one passes, write records and send notices through idempotent
activities, and show where they stand as current details in the Temporal UI, in
words (``workflows.supervisor_view``). This mixin is that shared part; each
workflow supplies ``_state`` (with ``deadlines``, ``escalations``, ``event_ids``,
``undelivered``, ``reminded``, ``case_ref``, ``policy``, ``stage``), ``_profile``
and ``_changed``.

**Effects after state.** Handlers check an event, change state and queue what must follow
(records, letters, signals to other workflows, child workflow starts) in the state's outbox;
``_carry_out_effects``, called from the main loop, does them in order. A failure is recorded and
shown, and the next effect goes on, so no effect can leave a workflow half-changed or unable to take
its next event, and an update answers without waiting for letters. Runs that began before the
outbox (``OUTBOX_PATCH``) keep doing their effects inline, as they did when recorded.

**A lean history** (``LEAN_HISTORY_PATCH``), for journeys that run for years: the timer on the nearest
deadline keeps running across an event that leaves that deadline where it was, instead of being cancelled
and started again for every visit. Runs begun under that patch alone also wrote their records by local
activities; since ``RECORDS_AFTER_STATE_PATCH`` records are ordinary activities again, because a local
activity's record is written even when the workflow task that ran it is lost, and the journey, run again
with an event that arrived meanwhile, may take another path: a record of an escalation it never made,
and no letter (``tests/faults``, a server restarted mid-burst, found it).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from activities.records import RecordActivities
    from domain.deadlines import KINDS, Deadline, DeadlineStatus, end_of_day, london_date
    from domain.effects import (
        NotificationRequest,
        QueuedChildStart,
        QueuedNotice,
        QueuedRecord,
        QueuedSignal,
        Receipt,
        RecordRequest,
        effect_key,
        fingerprint,
    )
    from domain.plan import Notice
    from workflows import search_attributes as sa
    from workflows import supervisor_view

# Longer than the records database's own 30 s wait for a lock, so a lock wait is not cut off as it ends.
ACTIVITY_TIMEOUT = timedelta(seconds=60)
# Records and letters must not be lost: retry for as long as it takes, but calmly. A failure that
# retrying cannot mend (the activity says so: non-retryable) ends the retries and is recorded.
ACTIVITY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))
# A letter's send is short and heartbeats, so a slow send is known to be alive and is not
# retried while it may still succeed; a silent one is retried soon.
# One attempt may wait 30 s for the database, look the letter up and send it (10 s each at most) and
# retry marking it sent: a slower attempt is cut off while its send may still land, risking a second.
NOTIFY_TIMEOUT = timedelta(minutes=2)
NOTIFY_HEARTBEAT = timedelta(seconds=20)
#: Effects are queued in the state and carried out by the main loop (see the module's doc).
OUTBOX_PATCH = "outbox"
#: Since this patch a workflow indexes as its next deadline the nearest one not yet met, an overdue one
#: first (before, an overdue deadline left the index, so the caseload read "none open" for an overdue
#: case), and a journey indexes its lead social worker's staff number and its team for the caseload.
CASELOAD_PATCH = "caseload-attributes"
#: Since this patch a workflow indexes what a supervisor searches by in the Temporal UI (the authority, the
#: stage and category in words, every overdue kind of deadline, an open complaint, the plan's start, the
#: review's due day: ``workflows.supervisor_view``), and ``CpjNextDeadline`` is the due day itself (its noon,
#: UTC, so the UI shows that day), not the instant after it.
SUPERVISOR_PATCH = "supervisor-view"
#: Since this patch the nearest deadline's timer outlives the events that leave it unchanged, and (until
#: ``RECORDS_AFTER_STATE_PATCH``) records were written by local activities (see the module's doc).
LEAN_HISTORY_PATCH = "lean-history"
#: A run begun since this patch has every patch above (and the journey's and conference's own): one marker
#: says so, instead of one marker and one ``TemporalChangeVersion`` upsert for each, in every run.
EVERY_PATCH = "every-patch-2026-11"
#: The patches ``EVERY_PATCH`` stands for (``domain.legacy``'s and ``workflows.journey``'s besides these). A
#: patch added after it must be asked with ``workflow.patched`` itself, or stood for by a newer marker: a run
#: begun with ``EVERY_PATCH`` ran without that change, so ``EVERY_PATCH`` must never answer for it.
BEFORE_EVERY_PATCH = frozenset({"rules-from-profile", "plan-stage", "challenges", OUTBOX_PATCH, CASELOAD_PATCH,
                                SUPERVISOR_PATCH, LEAN_HISTORY_PATCH})
#: Since this patch records are written by ordinary activities again, after the state that owes them is in
#: the history (see the module's doc).
RECORDS_AFTER_STATE_PATCH = "records-after-state"
#: Stands for every patch above, ``RECORDS_AFTER_STATE_PATCH`` included: what a run begun today records.
EVERY_PATCH_B = "every-patch-2026-11-b"
#: Each marker and the patches it stands for, newest first.
STANDS_FOR = {EVERY_PATCH_B: BEFORE_EVERY_PATCH | {RECORDS_AFTER_STATE_PATCH}, EVERY_PATCH: BEFORE_EVERY_PATCH}


class EventRejected(ApplicationError):
    """An event that does not fit; raised in validators, so it never enters history."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="EventRejected", non_retryable=True)


class DeadlineKeeping:
    _kind_of_workflow = "journey"

    def _patched(self, patch: str) -> bool:
        """``workflow.patched(patch)``, answered by the newest marker a run was begun with (``STANDS_FOR``).

        The markers are asked once, first, newest first, so a run recorded before them asks each patch as it
        did then, in the same order."""
        if patch not in STANDS_FOR[EVERY_PATCH_B]:
            raise ValueError(f"patch {patch!r} is newer than {EVERY_PATCH_B}: ask workflow.patched({patch!r}) "
                             "itself, or add a newer marker that stands for it")
        if getattr(self, "_every_patch", None) is None:
            self._every_patch = next((marker for marker in STANDS_FOR if workflow.patched(marker)), "")
        return patch in STANDS_FOR.get(self._every_patch, ()) or workflow.patched(patch)

    def _start_keeping(self) -> None:
        """Called from ``__init__``: whether this run queues its effects, and what it indexes for the caseload
        (every run since each patch)."""
        self._outbox_on = self._patched(OUTBOX_PATCH)
        self._caseload_on = self._patched(CASELOAD_PATCH)
        self._supervisor_on = self._patched(SUPERVISOR_PATCH)
        self._lean_on = self._patched(LEAN_HISTORY_PATCH)
        #: Records by local activities: only runs begun under the lean history before records-after-state.
        self._local_records = self._lean_on and not self._patched(RECORDS_AFTER_STATE_PATCH)
        #: The running timer on the nearest deadline (lean runs): when it rings, what it says, its task.
        self._alarm: tuple[datetime, str, asyncio.Task] | None = None

    async def _keep_until(self, ended) -> None:
        """Carry out effects and wait for the next event or deadline until ``ended()``, then finish."""
        while not ended():
            await self._carry_out_effects()
            if ended():
                break  # ended by an event that arrived while effects were carried out
            await self._wait_for_event_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._carry_out_effects()
        self._silence_alarm()
        self._publish()

    def _woken(self) -> bool:
        return self._changed or bool(self._state.outbox)

    async def _wait_for_event_or_deadline(self) -> None:
        self._changed = False
        self._publish()
        deadline = self._state.next_open()
        if deadline is None:
            await workflow.wait_condition(self._woken)
            return
        if await self._remind_first(deadline):
            return
        remaining = end_of_day(deadline.alarm_date) - workflow.now()
        if remaining > timedelta(0) and self._lean_on:
            if not await self._alarm_rang(end_of_day(deadline.alarm_date), self._timer_summary(deadline)):
                return
        elif remaining > timedelta(0):
            try:
                await workflow.wait_condition(
                    self._woken, timeout=remaining, timeout_summary=self._timer_summary(deadline)
                )
                return
            except asyncio.TimeoutError:
                pass
        if self._outbox_on and not self._still_due(deadline):
            return  # met, moved or delayed by an event that arrived as the timer fired
        await self._escalate_overdue(deadline)

    async def _alarm_rang(self, at: datetime, summary: str) -> bool:
        """Wait until woken or until ``at``: True if ``at`` came first.

        The timer is started once for a deadline and left running when an event wakes the workflow: the
        next wait reuses it while the nearest deadline still rings at ``at`` and reads the same.
        """
        if self._alarm is None or self._alarm[:2] != (at, summary):
            self._silence_alarm()
            self._alarm = (at, summary, asyncio.ensure_future(workflow.sleep(at - workflow.now(), summary=summary)))
        alarm = self._alarm[2]
        woken = asyncio.ensure_future(workflow.wait_condition(self._woken))
        await workflow.wait([alarm, woken], return_when=asyncio.FIRST_COMPLETED)
        if not alarm.done():
            return False
        woken.cancel()
        self._alarm = None
        return True

    def _silence_alarm(self) -> None:
        """Cancel the running timer (its deadline moved, or this run ends)."""
        if self._alarm is not None:
            self._alarm[2].cancel()
            self._alarm = None

    @staticmethod
    def _still_due(deadline: Deadline) -> bool:
        return deadline.status is DeadlineStatus.OPEN and workflow.now() >= end_of_day(deadline.alarm_date)

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
                    self._woken, timeout=remind_at - workflow.now(),
                    timeout_summary=f"Remind {kind.escalate_to.replace('_', ' ')}: {deadline.label} due {deadline.due}",
                )
                return True
            except asyncio.TimeoutError:
                pass
            if self._outbox_on and deadline.status is not DeadlineStatus.OPEN:
                return True
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

    def _key(self, event_id: str, what: str) -> str:
        info = workflow.info()
        # Since the outbox, keys carry the first run's id: unique for the whole life of this journey.
        return effect_key(info.workflow_id, event_id, what, info.first_execution_run_id if self._outbox_on else None)

    async def _record(self, event_id: str, kind: str, occurred_on: date, summary: str, details: dict) -> None:
        request = RecordRequest(
            key=self._key(event_id, kind),
            case_ref=self._state.case_ref,
            workflow_id=workflow.info().workflow_id,
            kind=kind,
            occurred_on=occurred_on,
            summary=summary,
            details={"policy": self._state.policy, **details},
        )
        await self._queue_or_do(QueuedRecord(request=request))

    async def _notify(self, event_id: str, what: str, notice: Notice) -> None:
        """Send a notice; one that can never be sent is recorded, and the journey goes on."""
        request = NotificationRequest(
            reference=self._key(event_id, what),
            case_ref=self._state.case_ref,
            workflow_id=workflow.info().workflow_id,
            template=notice.template,
            recipient_role=notice.role,
            subject=notice.subject,
            body=notice.body,
        )
        if self._outbox_on:
            self._state.outbox.append(QueuedNotice(request=request, undelivered_key=f"{event_id}/{what}"))
            return
        try:
            await self._send(request)
        except ActivityError as err:
            await self._undelivered(request, f"{event_id}/{what}", _cause(err))

    async def _undelivered(self, request: NotificationRequest, key: str, cause: str) -> None:
        # Only a non-retryable failure gets here (a role with no address, Notify refusing the
        # request): failing the journey would stop every deadline, so it is shown and recorded.
        role = request.recipient_role
        self._state.undelivered.append(f"{role}: {request.subject} ({cause})")
        workflow.logger.warning("notification not delivered", extra={"role": role, "cause": cause})
        await self._record(key, "notification_undelivered", london_date(workflow.now()),
                           f"Not delivered to {role.replace('_', ' ')}: {request.subject}", {"cause": cause})

    async def _signal(self, workflow_id: str, signal: str, payload: dict, summary: str) -> None:
        await self._queue_or_do(QueuedSignal(workflow_id=workflow_id, signal=signal, payload=payload, summary=summary))

    async def _start_child(self, workflow_type: str, workflow_id: str, start: dict, summary: str, event_id: str) -> None:
        await self._queue_or_do(QueuedChildStart(
            workflow_type=workflow_type, workflow_id=workflow_id, start=start, summary=summary, event_id=event_id))

    async def _queue_or_do(self, effect) -> None:
        """Queue ``effect`` for the main loop; a run from before the outbox does it now, as when recorded."""
        if self._outbox_on:
            self._state.outbox.append(effect)
        else:
            await self._carry_out(effect)

    # -- Carrying out the outbox -----------------------------------------------------------

    async def _carry_out_effects(self) -> None:
        """Do every queued effect in order; a failure is recorded and the next goes on."""
        while self._state.outbox:
            effect = self._state.outbox[0]
            try:
                await self._carry_out(effect)
            except FailureError as err:
                await self._effect_failed(effect, _cause(err))
            del self._state.outbox[0]

    async def _carry_out(self, effect) -> None:
        if isinstance(effect, QueuedRecord):
            await self._write(effect.request)
        elif isinstance(effect, QueuedNotice):
            await self._send(effect.request)
        elif isinstance(effect, QueuedSignal):
            await workflow.get_external_workflow_handle(effect.workflow_id).signal(effect.signal, effect.payload)
        else:
            await workflow.start_child_workflow(
                effect.workflow_type, effect.start, id=effect.workflow_id,
                # The record is finished weeks after the decision, whatever happens to this run of the journey.
                parent_close_policy=ParentClosePolicy.ABANDON, static_summary=effect.summary,
            )

    async def _effect_failed(self, effect, cause: str) -> None:
        if isinstance(effect, QueuedNotice):
            await self._undelivered(effect.request, effect.undelivered_key, cause)
            return
        if isinstance(effect, QueuedRecord):
            what = f"Record not written ({effect.request.kind.replace('_', ' ')})"
        else:
            what = f"Not done: {effect.summary}"
        self._state.failures.append(f"{what}: {cause}")
        workflow.logger.warning("effect failed", extra={"effect": effect.effect, "cause": cause})
        self._changed = True
        if isinstance(effect, QueuedRecord) and effect.request.kind == "effect_failed":
            return  # a failure to record a failure is shown on the journey, not recorded again
        await self._record(f"failure-{len(self._state.failures)}", "effect_failed", london_date(workflow.now()),
                           f"{what}: {cause}", {"effect": effect.effect})
        await self._after_failure(effect, cause)

    async def _after_failure(self, effect, cause: str) -> None:
        """What a workflow does besides recording a failed effect (a journey frees a booking, ...)."""

    async def _write(self, request: RecordRequest) -> None:
        if self._local_records:
            await workflow.execute_local_activity_method(
                RecordActivities.write_record, request, start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY, summary=f"Record: {request.summary}")
            return
        await self._run(RecordActivities.write_record, request, f"Record: {request.summary}")

    async def _send(self, request: NotificationRequest) -> None:
        await workflow.execute_activity_method(
            NotifyActivities.send_notification, request,
            start_to_close_timeout=NOTIFY_TIMEOUT, heartbeat_timeout=NOTIFY_HEARTBEAT, retry_policy=ACTIVITY_RETRY,
            summary=f"Notify {request.recipient_role.replace('_', ' ')}: {request.subject}",
        )

    @staticmethod
    async def _run(activity, request, summary: str) -> None:
        """Run one of the journey's activities; its summary is what a supervisor reads in the UI."""
        await workflow.execute_activity_method(
            activity, request, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY, summary=summary
        )

    # -- Events: each id once; a resend is answered, an id reused for another event refused --------

    def _is_resend(self, event) -> bool:
        """True if ``event`` was received before, exactly; refuses an id used for something else."""
        seen = self._state.event_digests.get(event.event_id)
        if seen is None:
            if event.event_id in self._state.event_ids:  # accepted before fingerprints were kept
                raise EventRejected(f"event {event.event_id} was already recorded on this {self._kind_of_workflow}")
            return False
        if seen == fingerprint(event):
            return True
        used_for = seen.split(":", 1)[0].replace("_", " ")
        raise EventRejected(
            f"event id {event.event_id} was already used on this {self._kind_of_workflow} for a different event "
            f"({used_for}); give this event an id of its own"
        )

    def _receipt(self, event, resend: bool = False) -> Receipt:
        return Receipt(event_id=event.event_id, type=event.type, resend=resend, stage=self._state.stage.value)

    def _accept(self, event) -> None:
        self._state.event_ids.append(event.event_id)
        self._state.event_digests[event.event_id] = fingerprint(event)
        self._changed = True
    def _check_not_future(self, day: date, field: str) -> None:
        today = london_date(workflow.now())
        if day > today:
            raise EventRejected(f"{field} {day} is in the future (today is {today})")

    def _publish(self) -> None:
        """Index the next deadline (and, since the supervisor-view patch, what a supervisor searches by) and
        show the current details in words. The details are not in the history (only the UI's metadata
        query reads them), so every run shows them in words, whenever it began."""
        state = self._state
        upcoming = _next_to_meet(state.deadlines) if self._caseload_on else state.next_open()
        overdue = any(row.status is DeadlineStatus.OVERDUE for row in state.deadlines)
        index = {
            sa.STAGE: state.stage.value,
            sa.POLICY: state.policy,
            sa.OVERDUE: overdue,
            sa.NEXT_DEADLINE: end_of_day(upcoming.alarm_date) if upcoming else None,
            sa.NEXT_DEADLINE_KIND: upcoming.kind if upcoming else None,
        }
        if self._caseload_on:
            index.update(self._holders_index())
        if self._supervisor_on:
            index[sa.NEXT_DEADLINE] = sa.day_instant(upcoming.alarm_date) if upcoming else None
            index.update(self._supervisor_index())
        changed = [
            key.value_set(value) if value is not None else key.value_unset()
            for key, value in index.items()
            if self._indexed.get(key.name, "unset") != value
        ]
        if changed:
            # Only what changed: every upsert is an event in a history that may run for years.
            workflow.upsert_search_attributes(changed)
            self._indexed.update({key.name: value for key, value in index.items()})
        workflow.set_current_details(supervisor_view.details(state, self._profile))

    def _holders_index(self) -> dict:
        """Who holds the case, for the caseload's filters: only a journey's state names them. Nothing is
        indexed until there is something to index (an unset of an attribute never set would be a wasted
        event in a history that may run for years)."""
        index = {}
        for key, attribute in ((sa.LEAD_SOCIAL_WORKER, "lead_social_worker"), (sa.TEAM, "team")):
            value = getattr(self._state, attribute, None)
            if value is not None or key.name in self._indexed:
                index[key] = value
        return index

    def _supervisor_index(self) -> dict:
        """What a supervisor searches by; as for the holders, nothing is indexed (not even false) until
        there is something to index."""
        return {key: value for key, value in supervisor_view.index(self._state, self._profile).items()
                if value not in (None, False) or key.name in self._indexed}


def _next_to_meet(deadlines: list[Deadline]) -> Deadline | None:
    """The deadline a case must meet next: an overdue one first (it is still to be met), then the nearest open."""
    waiting = [row for row in deadlines if row.status in (DeadlineStatus.OVERDUE, DeadlineStatus.OPEN)]
    return min(waiting, key=lambda row: (row.status is not DeadlineStatus.OVERDUE, row.alarm_date), default=None)


def _cause(err: FailureError) -> str:
    """One line on why an effect failed: the activity's own message where it gave one."""
    if isinstance(err, ActivityError) and isinstance(err.cause, ApplicationError):
        return err.cause.message
    return err.message or type(err).__name__
