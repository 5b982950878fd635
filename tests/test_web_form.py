"""The update form over HTTP, through the web process's WSGI app, with a real SMTP server.

Every request here goes to ``progressbot web``'s app (Slack and the form mounted together).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re

from sqlalchemy import func, select

from storage.models import Person, ReminderMessage, Update
from tests.support.form_harness import PAT_EMAIL, FormSite

FORM_FIELDS = re.compile(r'name="(csrf|nonce)" value="([^"]+)"')


def hidden(page: str) -> dict[str, str]:
    return dict(FORM_FIELDS.findall(page))


def updates(site: FormSite) -> list[Update]:
    with site.database.session_factory() as session:
        return list(session.scalars(select(Update).where(Update.source == "email").order_by(Update.id)))


def email_messages(site: FormSite, kind: str) -> list[ReminderMessage]:
    with site.database.session_factory() as session:
        return list(
            session.scalars(
                select(ReminderMessage).where(ReminderMessage.via == "email", ReminderMessage.kind == kind)
            )
        )


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def open_form(site: FormSite, path: str) -> tuple[str, dict[str, str]]:
    page = site.get(path)
    assert page.status == 200, page.body
    return page.body, hidden(page.body)


def test_the_page_lists_the_leads_open_actions_in_the_plan_with_due_date_rag_and_last_update(form_site):
    page = form_site.get(path_of(form_site.link()))
    assert page.status == 200
    body = page.body
    assert "Joint missing-children protocol agreed" in body and "Strategy meetings attended" in body
    assert "Information-sharing agreement signed" not in body  # complete: nothing to update
    assert "Front door audit" not in body  # Sam's action
    assert "Due: Tue 15 Dec 2026" in body and "Due: Mon 2 Nov 2026 (21 days overdue)" in body
    assert ">Amber</span>" in body and "Rota drafted" in body
    for label in ("Red", "Amber", "Green", "Blue"):  # the plan's choices, with their meanings
        assert f'value="{label}"' in body
    assert "Some risk, being managed" in body
    ids = form_site.ids
    for aid in (ids["1.1"], ids["1.2"]):  # every input has a label
        for name in ("text", "evidence", "date"):
            assert f'<label for="{name}-{aid}">' in body and f'id="{name}-{aid}"' in body
    assert "<script" not in body.lower() and "<link" not in body.lower() and " src=" not in body
    headers = page.headers
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "same-origin"
    assert "default-src 'none'" in headers["content-security-policy"]


def test_two_actions_filled_are_stored_as_updates_by_the_lead_and_confirmed_by_email(form_site):
    ids = form_site.ids
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields |= {
        f"rag-{ids['1.1']}": "Green",
        f"text-{ids['1.1']}": "Protocol agreed by the police and the council",
        f"evidence-{ids['1.1']}": "https://intranet.example.org/protocol.pdf",
        f"rag-{ids['1.2']}": "Red",
        f"text-{ids['1.2']}": "Rota gaps in December\r\nNeed cover from the county team",
        f"date-{ids['1.2']}": "2027-02-28",
    }
    response = form_site.post(path_of(form_site.link()), fields)
    assert response.status == 200, response.body
    assert "Saved. Thank you." in response.body
    stored = updates(form_site)
    assert [(u.action_id, u.rag) for u in stored] == [(ids["1.1"], "Green"), (ids["1.2"], "Red")]
    first, second = stored
    assert first.author_id == ids["pat"] and first.source == "email" and first.on_behalf_of_id is None
    assert first.evidence_url == "https://intranet.example.org/protocol.pdf"
    assert second.text == "Rota gaps in December\nNeed cover from the county team"
    assert second.proposed_due == dt.date(2027, 2, 28)
    assert first.submitted_at == form_site.clock.now.astimezone(dt.UTC)
    [mail] = form_site.inbox.wait_for(1)
    assert mail.recipients == [PAT_EMAIL]
    assert mail.message["Subject"] == "Saved: your update to 2 actions"
    assert "Protocol agreed by the police and the council" in mail.text and "RAG: Red" in mail.text
    assert "Proposed new date: Sunday 28 February 2027" in mail.text
    assert ">Green</span>" in mail.html
    new_link = re.search(r"http://\S+/u/\S+", mail.text).group(0)
    assert form_site.get(path_of(new_link)).status == 200


def test_a_double_submit_stores_once_and_confirms_once(form_site):
    ids = form_site.ids
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields |= {f"rag-{ids['1.1']}": "Amber", f"text-{ids['1.1']}": "Drafting"}
    first = form_site.post(path_of(form_site.link()), fields)
    again = form_site.post(path_of(form_site.link()), fields)
    assert first.status == again.status == 200
    assert "Already saved" in again.body
    assert len(updates(form_site)) == 1
    assert len(email_messages(form_site, "confirmation")) == 1
    # The same form sent again with a different answer is a new update (a correction), not a repeat.
    fields[f"text-{ids['1.1']}"] = "Drafting; legal review booked"
    assert form_site.post(path_of(form_site.link()), fields).status == 200
    assert [u.text for u in updates(form_site)] == ["Drafting", "Drafting; legal review booked"]


def _bad_submission(form_site, extra):
    ids = form_site.ids
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields |= {f"text-{ids['1.2']}": "A valid update for 1.2"} | extra
    return form_site.post(path_of(form_site.link()), fields)


def test_over_long_text_comes_back_beside_its_field_with_everything_typed_kept(form_site):
    ids = form_site.ids
    long_text = "x" * 3001
    response = _bad_submission(form_site, {f"text-{ids['1.1']}": long_text, f"rag-{ids['1.1']}": "Green"})
    assert response.status == 422
    aid = ids["1.1"]
    assert re.search(
        rf'id="text-{aid}-error">Error: The update is 3,001 characters long; the limit is 3,000',
        response.body,
    )
    assert f">{long_text}</textarea>" in response.body  # nothing typed is lost
    assert 'value="Green" checked' in response.body
    assert "A valid update for 1.2</textarea>" in response.body
    assert "Nothing has been saved yet" in response.body
    assert updates(form_site) == []  # not even the valid action: all or nothing


def test_line_breaks_count_once_so_3000_characters_with_newlines_fit(form_site):
    ids = form_site.ids
    text = ("y" * 99 + "\r\n") * 30  # 3,000 characters as typed, 3,030 bytes as a browser sends them
    response = _bad_submission(form_site, {f"text-{ids['1.1']}": text})
    assert response.status == 200, response.body
    assert len(updates(form_site)[0].text) == 2999  # stored with \n, trailing newline trimmed


def test_an_unknown_rag_and_a_bad_url_are_refused_beside_their_fields(form_site):
    ids = form_site.ids
    aid = ids["1.1"]
    response = _bad_submission(
        form_site,
        {
            f"rag-{aid}": "Purple",
            f"text-{aid}": "Done",
            f"evidence-{aid}": "javascript:alert(1)",
            f"date-{aid}": "31/02/2027",
        },
    )
    assert response.status == 422
    body = response.body
    assert (
        f'id="rag-{aid}-error">Error: “Purple” is not a RAG status of this plan: choose one of Red, Amber, Green, Blue'
        in body
    )
    assert f'id="evidence-{aid}-error">Error: The evidence link must be an http(s) address' in body
    assert f'id="date-{aid}-error">Error: “31/02/2027” is not a date' in body
    assert 'value="javascript:alert(1)"' in body and 'value="31/02/2027"' in body
    assert updates(form_site) == []


def test_a_date_in_the_past_and_an_empty_form_are_refused(form_site):
    aid = form_site.ids["1.1"]
    past = _bad_submission(form_site, {f"text-{aid}": "x", f"date-{aid}": "2026-01-01"})
    assert past.status == 422 and "A proposed new date must be after today" in past.body
    _, fields = open_form(form_site, path_of(form_site.link()))
    empty = form_site.post(path_of(form_site.link()), fields)
    assert empty.status == 422 and "Nothing was filled in" in empty.body
    rag_only = _bad_submission(form_site, {f"rag-{aid}": "Green"})  # a RAG needs words with it
    assert rag_only.status == 422 and f'id="text-{aid}-error">Error: The update has no text' in rag_only.body
    assert updates(form_site) == []


def test_a_forged_or_altered_link_is_403_and_stores_nothing(form_site):
    ids = form_site.ids
    token = form_site.token()
    _, fields = open_form(form_site, f"/u/{token}")
    fields |= {f"text-{ids['1.1']}": "forged"}
    body, sig = token.rsplit(".", 1)
    tampered = [
        body + "." + ("A" if sig[0] != "A" else "B") + sig[1:],  # signature changed
        token.replace(f".{ids['pat']}.", f".{ids['sam']}.", 1),  # someone else's id, same signature
        token[:-5],  # cut short
        "v1.1.1.1.AAAAAAAAAAA." + "A" * 43,
        "%27%3B%20DROP%20TABLE%20updates",
    ]
    from mail.links import Links

    tampered.append(
        Links("another-secret-key-0123456789-abcdefghijk").make(
            ids["pat"], ids["plan"], PAT_EMAIL, form_site.clock.now
        )
    )
    for bad in tampered:
        assert form_site.get(f"/u/{bad}").status == 403, bad
        assert form_site.post(f"/u/{bad}", fields).status == 403, bad
        assert form_site.post(f"/u/{bad}/new-link", fields).status == 403, bad
    assert updates(form_site) == [] and email_messages(form_site, "new_link") == []


def test_a_post_without_our_csrf_token_or_from_another_site_is_403(form_site):
    aid = form_site.ids["1.1"]
    path = path_of(form_site.link())
    _, fields = open_form(form_site, path)
    fields[f"text-{aid}"] = "cross-site"
    assert form_site.post(path, {**fields, "csrf": "A" * 43}).status == 403
    assert form_site.post(path, {k: v for k, v in fields.items() if k != "csrf"}).status == 403
    other = form_site.token(
        at=form_site.clock.now - dt.timedelta(minutes=1)
    )  # the CSRF token is tied to the link
    assert form_site.post(f"/u/{other}", fields).status == 403
    assert form_site.post(path, fields, headers={"Origin": "https://evil.example.com"}).status == 403
    assert updates(form_site) == []
    assert form_site.post(path, fields, headers={"Origin": form_site.base}).status == 200


def test_an_expired_link_offers_a_new_one_sent_only_to_the_address_on_record(form_site):
    path = path_of(form_site.link())
    form_site.clock.now += dt.timedelta(days=14, seconds=1)
    page = form_site.get(path)
    assert page.status == 410 and "This link has expired" in page.body and "Send me a new link" in page.body
    fields = hidden(page.body) | {"email": "attacker@example.com", "to": "attacker@example.com"}
    sent = form_site.post(path + "/new-link", fields)
    assert sent.status == 200 and "A new link is on its way to p•••@police.example.org" in sent.body
    [mail] = form_site.inbox.wait_for(1)
    assert mail.recipients == [PAT_EMAIL] and "attacker" not in mail.message["To"]
    fresh = re.search(r"http://\S+/u/\S+", mail.text).group(0)
    assert form_site.get(path_of(fresh)).status == 200
    # Rate-limited: a second click straight away sends nothing more.
    again = form_site.post(path + "/new-link", hidden(form_site.get(path).body))
    assert again.status == 200 and "was already sent" in again.body
    assert len(email_messages(form_site, "new_link")) == 1


def test_new_links_are_limited_to_three_a_day(form_site):
    path = path_of(form_site.link())
    form_site.clock.now += dt.timedelta(days=20)
    for n in range(5):
        response = form_site.post(path + "/new-link", hidden(form_site.get(path).body))
        assert ("on its way" in response.body) == (n < 3)
        form_site.clock.now += dt.timedelta(minutes=11)
    assert len(email_messages(form_site, "new_link")) == 3


def test_a_form_posted_after_its_link_expired_stores_nothing_but_shows_the_text_back(form_site):
    aid = form_site.ids["1.1"]
    path = path_of(form_site.link())
    _, fields = open_form(form_site, path)
    form_site.clock.now += dt.timedelta(days=15)
    response = form_site.post(path, fields | {f"text-{aid}": "Typed before it expired"})
    assert response.status == 410 and "Typed before it expired</textarea>" in response.body
    assert updates(form_site) == []


def test_changing_the_leads_address_revokes_links_sent_to_the_old_one(form_site):
    path = path_of(form_site.link())
    with form_site.database.session_factory.begin() as session:
        session.get(Person, form_site.ids["pat"]).email = "pat.new@police.example.org"
    assert form_site.get(path).status == 403
    assert form_site.get(path_of(form_site.link(email="pat.new@police.example.org"))).status == 200


def test_an_oversized_body_is_refused_before_it_is_read(form_site):
    path = path_of(form_site.link())
    response = form_site.request(
        "POST",
        path,
        body=b"x" * 10,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(10 * 1024 * 1024),
        },
    )
    assert response.status == 413
    assert form_site.request("POST", path, body=b"a=1", headers={"Content-Type": "text/plain"}).status == 415
    assert updates(form_site) == []


def test_what_people_typed_is_escaped_on_the_page(form_site):
    ids = form_site.ids
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields[f"text-{ids['1.1']}"] = '<script>alert("x")</script> & <b>bold</b>'
    assert form_site.post(path_of(form_site.link()), fields).status == 200
    page = form_site.get(path_of(form_site.link())).body
    assert "<script>" not in page and html.escape('<script>alert("x")</script>', quote=True) in page


def test_the_link_never_reaches_a_log_line(form_site, caplog):
    token = form_site.token()
    with caplog.at_level(logging.DEBUG):
        form_site.get(f"/u/{token}")
        form_site.get(f"/u/{token[:-3]}xyz")
    lines = [r.getMessage() for r in caplog.records]
    assert any("/u/[redacted]" in line for line in lines)  # the server's access line, redacted
    assert not any(token[-20:] in line for line in lines)


def test_slack_requests_keep_their_own_verification_beside_the_form(form_site):
    response = form_site.request(
        "POST", "/slack/events", body=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status == 401
    assert form_site.get("/u/").status == 403
    assert form_site.get(path_of(form_site.link()) + "/other").status == 404
    with form_site.database.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Update)) == 2  # only the seeded ones


def test_a_proposed_date_goes_to_the_board_as_a_request_like_one_made_in_slack(form_site, fake_slack):
    from storage.models import DateProposal

    aid = form_site.ids["1.2"]
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields |= {f"text-{aid}": "Rota needs the new year", f"date-{aid}": "2027-01-29"}
    assert form_site.post(path_of(form_site.link()), fields).status == 200
    with form_site.database.session_factory() as session:
        proposal = session.scalars(select(DateProposal)).one()
        assert (proposal.action_id, proposal.proposed_due) == (aid, dt.date(2027, 1, 29))
    posts = fake_slack.wait_for("chat.postMessage")
    assert any(c.params.get("channel") == "U0ADMIN" and "1.2" in str(c.params) for c in posts)


def test_a_proposed_date_governance_refuses_comes_back_beside_the_date_field(form_site):
    aid = form_site.ids["1.1"]  # due 15 Dec 2026
    _, fields = open_form(form_site, path_of(form_site.link()))
    fields |= {f"text-{aid}": "On track", f"date-{aid}": "15/12/2026"}
    response = form_site.post(path_of(form_site.link()), fields)
    assert response.status == 422
    assert f'id="date-{aid}-error">Error: 15 Dec 2026 is already the due date of 1.1' in response.body
    assert updates(form_site) == []
