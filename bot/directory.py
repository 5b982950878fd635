"""``progressbot leads sync``: link unlinked leads to Slack users, and record their time zones.

Rules (nothing is guessed):
- a lead with an email address is looked up with ``users.lookupByEmail``;
- otherwise (or when that finds nobody) an exact, unique match of the lead's name against the Slack
  ``real_name`` of active, non-bot users from ``users.list`` (paginated, fetched at most once per sync);
- several matches, or a Slack user already linked to someone else, is reported as ambiguous.
``users.info`` is never called per lead (Tier 4); time zones come from the same answers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ActionLead, Person

log = logging.getLogger(__name__)

PAGE_SIZE = 200


@dataclass
class SyncResult:
    linked: list[tuple[str, str, str]] = field(default_factory=list)  # (lead, slack user id, "email"|"name")
    ambiguous: list[tuple[str, list[str]]] = field(default_factory=list)  # (lead, candidate user ids)
    not_found: list[str] = field(default_factory=list)
    timezones: int = 0  # people whose time zone was stored or changed
    api_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _norm(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def _active(user: dict[str, Any]) -> bool:
    return not user.get("deleted") and not user.get("is_bot") and user.get("id") != "USLACKBOT"


def _real_name(user: dict[str, Any]) -> str:
    return user.get("real_name") or (user.get("profile") or {}).get("real_name") or ""


def list_users(client: WebClient, result: SyncResult) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.users_list(limit=PAGE_SIZE, cursor=cursor)
        result.api_calls["users.list"] += 1
        users.extend(page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return users


def sync_leads(session: Session, client: WebClient) -> SyncResult:
    result = SyncResult()
    lead_ids = set(session.scalars(select(ActionLead.person_id)))
    people = [p for p in session.scalars(select(Person).order_by(Person.display_name)) if p.id in lead_ids]
    taken = {
        p.slack_user_id: p for p in session.scalars(select(Person).where(Person.slack_user_id.is_not(None)))
    }
    unlinked = [p for p in people if not p.slack_user_id]
    by_name_needed: list[Person] = []

    for person in unlinked:
        if not person.email:
            by_name_needed.append(person)
            continue
        try:
            user = client.users_lookupByEmail(email=person.email)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") != "users_not_found":
                raise
            user = None
        result.api_calls["users.lookupByEmail"] += 1
        if user is None or not _active(user):
            by_name_needed.append(person)
            continue
        _link(person, user, "email", taken, result)

    users: list[dict[str, Any]] | None = None
    if by_name_needed:
        users = [u for u in list_users(client, result) if _active(u)]
        by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for user in users:
            by_name[_norm(_real_name(user))].append(user)
        for person in by_name_needed:
            names = {_norm(n) for n in (person.name, person.display_name) if n}
            candidates = {u["id"]: u for n in names for u in by_name.get(n, [])}
            if len(candidates) == 1:
                _link(person, next(iter(candidates.values())), "name", taken, result)
            elif candidates:
                result.ambiguous.append((person.display_name, sorted(candidates)))
            else:
                result.not_found.append(person.display_name)

    if users is not None:  # refresh time zones of people linked earlier, at no extra cost
        tz_by_id = {u["id"]: u.get("tz") for u in users}
        for person in people:
            tz = tz_by_id.get(person.slack_user_id or "")
            if tz and person.timezone != tz:
                person.timezone = tz
                result.timezones += 1
    session.flush()
    log.info(
        "leads sync: %d linked, %d ambiguous, %d not found",
        len(result.linked),
        len(result.ambiguous),
        len(result.not_found),
    )
    return result


def _link(
    person: Person, user: dict[str, Any], how: str, taken: dict[str, Person], result: SyncResult
) -> None:
    uid = user["id"]
    other = taken.get(uid)
    if other is not None and other.id != person.id:
        result.ambiguous.append((person.display_name, [uid]))
        log.info(
            "leads sync: %s matches %s, already linked to %s", person.display_name, uid, other.display_name
        )
        return
    person.slack_user_id = uid
    taken[uid] = person
    if user.get("tz") and person.timezone != user["tz"]:
        person.timezone = user["tz"]
        result.timezones += 1
    result.linked.append((person.display_name, uid, how))
