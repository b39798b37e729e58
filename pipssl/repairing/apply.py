"""Apply a plan the user agreed to: under the lock, check that the files it was computed
from are unchanged (or plan again and ask again), write through the journal, verify with
the same probes as the diagnosis, and keep the changes only as
:func:`~pipssl.repairing.outcome.judge` decides: nothing that verified before may break
(but for roots the sources withdrew), and something must be better.
"""

from __future__ import annotations

from typing import Callable, Optional

from pipssl.certs.consent import CONSENT_MODE
from pipssl.diagnosis.api import Diagnosis, diagnosis_of, load_config
from pipssl.errors import UsageError
from pipssl.interpreter.runpip import scrubbed
from pipssl.journal.recover import busy_since
from pipssl.journal.state import state_dir
from pipssl.journal.transaction import Transaction
from pipssl.repairing import outcome
from pipssl.repairing.places import places_for
from pipssl.repairing.plan import plan_repair, stale_inputs
from pipssl.repairing.result import Plan, RepairResult

#: Shown a plan made again under the lock that differs from the one agreed to; returns
#: whether to apply the new one.
Confirm = Callable[[Plan, Plan], bool]


def consented_to_policy(agreed: Plan, now: Plan) -> bool:
    """The :data:`Confirm` of ``--yes`` and of :func:`pipssl.repair`: the caller agreed to
    "whatever is safe", not to one list of changes, so the plan made under the lock is it."""
    return True


#: The modes of the files pipssl owns; a config file it edits keeps its own.
MODES = {"write-bundle": 0o644, "record-consent": CONSENT_MODE}

CHANGED_SINCE = "not applied: the files changed since you agreed to the plan; nothing was changed"


def preview(plan: Plan, message: str = "dry run: nothing was changed") -> RepairResult:
    """What applying ``plan`` would change, as a result that changed nothing."""
    return RepairResult(
        False,
        False,
        plan.actions,
        None,
        outcome.left_to_do(plan, _diagnosis_of(plan).report),
        plan.env_to_unset,
        False,
        message,
        env_to_set=plan.env_to_set,
        bundle_diff=plan.bundle_diff,
        clients_skipped=plan.clients_skipped,
    )


def _diagnosis_of(plan: Plan) -> Diagnosis:
    # a script may hand in a Plan it built or copied; only a planned one can be applied
    if plan.diagnosis is None:
        raise UsageError(
            "apply: this plan carries no diagnosis", hint="apply a plan pipssl.plan() made"
        )
    return plan.diagnosis


def apply(
    plan: Plan,
    *,
    label: str = "pipssl repair",
    lock_timeout: float = 30.0,
    confirm: Optional[Confirm] = None,
) -> RepairResult:
    """Make the changes of ``plan`` and keep them only if pip (and each client asked for)
    then verifies every index: public as :func:`pipssl.apply`.

    Args:
        plan: from :func:`pipssl.plan` (:func:`~pipssl.repairing.plan.plan_repair`).
        label: what the journal calls this repair (``undo`` shows it).
        lock_timeout: seconds to wait for another repair to finish.
        confirm: asked when the files changed and the plan made again differs (see
            :data:`Confirm`); without one, such a plan is refused and nothing is written.

    Returns:
        A :class:`RepairResult`.

    Raises:
        PipsslError: a file that cannot be written, or another repair holding the lock.
    """
    diagnosis = _diagnosis_of(plan)
    env, target = diagnosis.env, diagnosis.target
    before = diagnosis.report
    state = state_dir(env)
    # Nothing to write and nobody else writing: done.  But a repair killed half-way, or
    # one that committed while this one was diagnosing, means the verdict may be stale:
    # decide again under the lock.
    if not plan.actions and not busy_since(state, diagnosis.now):
        ok = outcome.done(plan, before)
        message = (
            outcome.ALREADY if ok else outcome.SET_ENV if plan.env_to_set else outcome.NOTHING_SAFE
        )
        return RepairResult(
            ok,
            False,
            plan.actions,
            before,
            outcome.left_to_do(plan, before),
            plan.env_to_unset,
            False,
            message,
            env_to_set=plan.env_to_set,
            clients_skipped=plan.clients_skipped,
        )
    places = places_for(env, target.platform, prefix=target.prefix, base_prefix=target.base_prefix)
    with Transaction(state, label=label, timeout=lock_timeout, guard=places.refusal) as tx:
        # Another repair (or the user) may have changed the files since the plan was made:
        # plan again from the files as they are now, so that work is kept, and ask again
        # when the changes differ from those agreed to.
        replanned = bool(stale_inputs(plan) or busy_since(state, diagnosis.now))
        if replanned:
            again = plan_repair(diagnosis, plan.options, config=load_config(target, env))
            if not again.same_changes(plan) and (confirm is None or not confirm(plan, again)):
                return preview(again, CHANGED_SINCE)
            plan = again
        # verify with the environment pip will have once the user unsets what overrides it
        # ... and sets what the clients read their bundle from
        verify_env = {**scrubbed(env, plan.env_to_unset), **dict(plan.env_to_set)}
        for action in plan.actions:
            data = plan.contents[action.path]
            if data is None:
                tx.remove(action.path)
            else:
                tx.write(action.path, data, mode=MODES.get(action.kind))
        checked = diagnosis_of(
            target,
            verify_env,
            index_urls=diagnosis.index_urls,
            timeout=diagnosis.timeout,
            cwd=diagnosis.cwd,
            project=diagnosis.project,
        )
        after = checked.report
        # Files changed under the diagnosis (another run, a killed one put back): what
        # verified "before" is not known, so only a repair that verifies everything stays.
        verdict = outcome.judge(plan, before, checked, strict=replanned)
        if verdict.roll_back and plan.actions:
            tx.rollback()
            return RepairResult(
                False,
                False,
                plan.actions,
                after,
                outcome.left_to_do(plan, after, applied=True),
                plan.env_to_unset,
                True,
                verdict.message,
                env_to_set=plan.env_to_set,
                bundle_diff=plan.bundle_diff,
                still_failing=verdict.failing,
                clients_skipped=plan.clients_skipped,
            )
        record = tx.commit()
    ok = outcome.done(plan, after)
    message = (
        ("repaired: pip verifies every index" if record.changes else outcome.ALREADY)
        if ok
        else verdict.message
        if verdict.message
        else (
            "repaired the config; unset the variables listed to finish"
            if plan.env_to_unset and not plan.env_to_set
            else outcome.SET_ENV
            if plan.env_to_set
            else "repaired what is safe; some problems need you"
            if record.changes
            else outcome.NOTHING_SAFE
        )
    )
    return RepairResult(
        ok,
        bool(record.changes),
        plan.actions,
        after,
        outcome.left_to_do(plan, after, applied=True),
        plan.env_to_unset,
        False,
        message,
        record.id if record.changes else None,
        plan.env_to_set,
        plan.bundle_diff if record.changes else None,
        verdict.failing,
        plan.clients_skipped,
    )
