"""Test data for the scheduler's tests, built straight from the models, and a recording Slack client."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Action, ActionLead, Person, Plan, RagState, Role, Update

BRAG = [
    ("Red", "#C00000", False),
    ("Amber", "#FFC000", False),
    ("Green", "#00B050", False),
    ("Blue", "#0070C0", True),
]
_counter = itertools.count(1)


def make_plan(
    session: Session,
    name: str | None = None,
    *,
    start: dt.date | None = dt.date(2026, 1, 5),
    policy: dict[str, Any] | None = None,
) -> Plan:
    plan = Plan(
        name=name or f"plan-{next(_counter)}",
        title="Improvement plan",
        start_date=start,
        reference_date=start,
        policy=policy or {},
    )
    for rank, (label, colour, complete) in enumerate(BRAG):
        plan.rag_states.append(
            RagState(label=label, rank=rank, colour=colour, is_complete=complete, aliases=[])
        )
    session.add(plan)
    session.flush()
    return plan


def make_person(
    session: Session,
    name: str,
    *,
    uid: str | None = None,
    tz: str | None = None,
    away_until: dt.date | None = None,
    deputy: Person | None = None,
) -> Person:
    person = Person(
        display_name=name,
        name=name,
        slack_user_id=uid,
        timezone=tz,
        away_until=away_until,
        deputy_id=deputy.id if deputy else None,
    )
    session.add(person)
    session.flush()
    return person


def make_action(
    session: Session,
    plan: Plan,
    ref: str,
    *,
    leads: list[Person],
    due: dt.date | None = None,
    schedule: str = "once",
    milestones: list[dt.date] | None = None,
    recurrence: str | None = None,
    title: str | None = None,
) -> Action:
    action = Action(
        plan_id=plan.id,
        ref=ref,
        position=next(_counter),
        title=title or f"Action {ref}",
        due_date=due,
        schedule=schedule,
        recurrence=recurrence,
        milestones=[m.isoformat() for m in milestones or []],
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    for i, person in enumerate(leads):
        action.leads.append(ActionLead(person_id=person.id, position=i, lead_text=person.display_name))
    session.add(action)
    session.flush()
    return action


def add_update(
    session: Session,
    action: Action,
    at: dt.datetime,
    *,
    rag: str | None = "Amber",
    text: str = "progress",
    reminder_message_id: int | None = None,
) -> Update:
    update = Update(
        action_id=action.id,
        rag=rag,
        text=text,
        source="slack",
        submitted_at=at,
        reminder_message_id=reminder_message_id,
    )
    session.add(update)
    session.flush()
    return update


def grant(session: Session, uid: str, role: str) -> Role:
    r = Role(slack_user_id=uid, role=role)
    session.add(r)
    session.flush()
    return r


class RecordingClient:
    """A stand-in WebClient: records chat.postMessage / chat.update calls; can fail after k sends."""

    def __init__(
        self,
        *,
        fail_after: int | None = None,
        exc: type[BaseException] = RuntimeError,
        die_after_accepting: int | None = None,
        history: list[dict[str, Any]] | None = None,
    ):
        """``fail_after``: the (k+1)-th post raises before Slack sees it; ``die_after_accepting``: the
        (k+1)-th post is accepted by "Slack" and then the process dies before hearing back."""
        self.posts: list[dict[str, Any]] = []
        self.die_after_accepting = die_after_accepting
        # What "Slack" holds, shared between clients to model one workspace across a restart.
        self.history: list[dict[str, Any]] = history if history is not None else []
        self.updates: list[dict[str, Any]] = []
        self.fail_after = fail_after
        self.exc = exc
        self._lock = threading.Lock()
        self.before_post: Any = None

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:
        if self.before_post is not None:
            self.before_post()
        with self._lock:
            if self.fail_after is not None and len(self.posts) >= self.fail_after:
                raise self.exc("killed mid-pass")
            self.posts.append(kwargs)
            n = len(self.history) + 1
            ts = f"1700000000.{n:06d}"
            self.history.append(
                {"channel": "D" + kwargs["channel"], "ts": ts, "metadata": kwargs.get("metadata")}
            )
            if self.die_after_accepting is not None and len(self.posts) > self.die_after_accepting:
                raise self.exc("killed after Slack accepted the message")
        return {"ok": True, "channel": "D" + kwargs["channel"], "ts": ts}

    def conversations_open(self, *, users: str) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + users}}

    def conversations_history(self, *, channel: str, **_: Any) -> dict[str, Any]:
        return {"ok": True, "messages": [m for m in self.history if m["channel"] == channel]}

    def chat_update(self, **kwargs: Any) -> dict[str, Any]:
        self.updates.append(kwargs)
        return {"ok": True}


def action_ids_in(post: dict[str, Any]) -> list[int]:
    import json

    ids = []
    for block in post.get("blocks", []):
        accessory = block.get("accessory")
        if accessory and accessory.get("action_id") == "open_update_modal":
            ids.append(json.loads(accessory["value"])["action_id"])
    return ids


def quick_sender(client):
    """A sender that neither paces nor sleeps: tests pass time in, never wait for it."""
    from jobs.sender import Pacer, Sender

    return Sender(client, pacer=Pacer(0), sleep=lambda _s: None)
