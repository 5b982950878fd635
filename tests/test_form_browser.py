"""The update form in a real browser: headless Chromium (Debian's package) driven by Selenium.

A partner opens the link from a real email received by the test SMTP server, fills two actions from a
360 px-wide phone screen and submits; the database and the confirmation email are checked. The error
cases (over-long text, unknown RAG, bad URL), a double submit, an expired and a forged link are driven
the same way. Screenshots of the form at 360 px and 1280 px are written to the test's tmp_path.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from jobs.reminders import run_reminder_pass
from storage.models import ReminderMessage, Update
from tests.support.browser import screenshot
from tests.support.form_harness import PAT_EMAIL, reminder_link

pytestmark = pytest.mark.browser


def stored(site) -> list[Update]:
    with site.database.session_factory() as session:
        return list(session.scalars(select(Update).where(Update.source == "email").order_by(Update.id)))


def link_from_a_real_reminder(site) -> str:
    """Run the reminder pass, as the worker does, and take the link out of the email it sends."""
    from bot.slack_client import make_client
    from jobs.planner import PlannerConfig
    from jobs.sender import Pacer, Sender

    config = PlannerConfig.from_settings(site.settings)
    sender = Sender(make_client(site.settings), pacer=Pacer(rate=0))
    result = run_reminder_pass(
        site.database.session_factory,
        None,
        site.clock.now,
        config=config,
        sender=sender,
        email=site.forms.channel,
    )
    assert result.emails == 1
    [mail] = site.inbox.wait_for(1)
    assert mail.recipients == [PAT_EMAIL]
    return reminder_link(site, mail.html)


def fill(
    driver, aid: int, *, rag: str | None = None, text: str = "", evidence: str = "", date: str = ""
) -> None:
    if rag is not None:
        label = driver.find_element(
            By.XPATH, f'//input[@name="rag-{aid}" and @value="{rag}"]/ancestor::label'
        )
        label.click()
    if text:
        driver.find_element(By.ID, f"text-{aid}").send_keys(text)
    if evidence:
        driver.find_element(By.ID, f"evidence-{aid}").send_keys(evidence)
    if date:  # "2027-02-28", typed into the date field in the order the browser's locale shows it
        year, month, day = date.split("-")
        order = driver.execute_script(
            "return new Intl.DateTimeFormat().formatToParts(new Date(2027, 1, 28))"
            ".filter(p => ['day', 'month', 'year'].includes(p.type)).map(p => p.type)"
        )
        parts = {"year": year, "month": month, "day": day}
        driver.find_element(By.ID, f"date-{aid}").send_keys("".join(parts[p] for p in order))


def submit(driver) -> None:
    """Press the button and wait until the next page has replaced this one and finished loading.

    The old page is marked with a script variable the new one lacks; while the pages swap, Chromium can
    answer a query with a transient "Node ... does not belong to the document", so those are retried.
    """
    driver.execute_script("window.progressbotOldPage = true")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return window.progressbotOldPage === undefined && document.readyState === 'complete'"
        )
    )


def test_a_partner_updates_two_actions_from_a_phone_via_the_emailed_link(form_site, browser, tmp_path):
    ids = form_site.ids
    link = link_from_a_real_reminder(form_site)
    browser.set_window_size(360, 800)
    browser.get(link)
    assert "Children's services improvement plan" in browser.title
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 360  # no sideways scroll
    screenshot(browser, tmp_path / "form-360.png", 360)
    screenshot(browser, tmp_path / "form-1280.png", 1280)
    browser.set_window_size(360, 800)
    fill(
        browser,
        ids["1.1"],
        rag="Green",
        text="Protocol signed by both chiefs",
        evidence="https://intranet.example.org/p.pdf",
    )
    fill(browser, ids["1.2"], rag="Red", text="December rota has gaps", date="2027-02-28")
    submit(browser)
    assert "Saved. Thank you." in browser.find_element(By.TAG_NAME, "h1").text, browser.find_element(
        By.TAG_NAME, "main"
    ).text[:600]
    screenshot(browser, tmp_path / "saved-360.png", 360)

    updates = stored(form_site)
    assert [(u.action_id, u.rag, u.text) for u in updates] == [
        (ids["1.1"], "Green", "Protocol signed by both chiefs"),
        (ids["1.2"], "Red", "December rota has gaps"),
    ]
    assert updates[0].evidence_url == "https://intranet.example.org/p.pdf"
    assert updates[1].proposed_due == dt.date(2027, 2, 28)
    assert all(u.author_id == ids["pat"] and u.source == "email" for u in updates)
    _reminder, confirmation = form_site.inbox.wait_for(2)
    assert confirmation.message["Subject"] == "Saved: your update to 2 actions"
    assert (
        "Protocol signed by both chiefs" in confirmation.text
        and "December rota has gaps" in confirmation.text
    )

    # Sending the same form again ("back", then the button again) stores nothing more.
    browser.back()
    submit(browser)
    assert "Already saved" in browser.find_element(By.TAG_NAME, "h1").text
    assert len(stored(form_site)) == 2
    with form_site.database.session_factory() as session:
        kinds = session.scalars(
            select(ReminderMessage.kind).where(ReminderMessage.via == "email").order_by(ReminderMessage.id)
        ).all()
    assert kinds == ["email", "confirmation"]  # the reminder, and one confirmation however often it was sent


def test_mistakes_come_back_beside_their_fields_with_everything_typed_kept(form_site, browser, tmp_path):
    aid = form_site.ids["1.1"]
    other = form_site.ids["1.2"]
    browser.set_window_size(360, 800)
    browser.get(form_site.link())
    long_text = "Long update. " * 231  # 3,003 characters; 3,002 without the last space
    box = browser.find_element(By.ID, f"text-{aid}")
    browser.execute_script("arguments[0].value = arguments[1]", box, long_text[:-20])  # a paste, in effect
    box.send_keys(long_text[-20:])
    fill(browser, aid, evidence="intranet/audit.pdf")
    # A RAG the plan does not have (as a crafted request would send it).
    purple = browser.find_element(By.XPATH, f'//input[@name="rag-{other}" and @value="Green"]')
    browser.execute_script("arguments[0].value = 'Purple'", purple)
    fill(browser, other, rag="Purple", text="Rota agreed")
    submit(browser)
    errors = {e.get_attribute("id"): e.text for e in browser.find_elements(By.CSS_SELECTOR, ".error")}
    assert errors[f"text-{aid}-error"].startswith(
        "Error: The update is 3,002 characters long; the limit is 3,000"
    )
    assert errors[f"evidence-{aid}-error"].startswith("Error: The evidence link must be an http(s) address")
    assert errors[f"rag-{other}-error"].startswith("Error: “Purple” is not a RAG status of this plan")
    assert browser.find_element(By.ID, f"text-{aid}").get_attribute("value") == long_text
    assert browser.find_element(By.ID, f"evidence-{aid}").get_attribute("value") == "intranet/audit.pdf"
    assert browser.find_element(By.ID, f"text-{other}").get_attribute("value") == "Rota agreed"
    assert "There is a problem" in browser.find_element(By.CSS_SELECTOR, ".summary").text
    screenshot(browser, tmp_path / "errors-360.png", 360)
    assert stored(form_site) == []
    # Fixed, it goes through.
    box = browser.find_element(By.ID, f"text-{aid}")
    box.clear()
    box.send_keys("Audit done")
    evidence = browser.find_element(By.ID, f"evidence-{aid}")
    evidence.clear()
    evidence.send_keys("https://intranet.example.org/audit.pdf")
    fill(browser, other, rag="Amber")
    submit(browser)
    assert "Saved" in browser.find_element(By.TAG_NAME, "h1").text
    assert [(u.rag, u.text) for u in stored(form_site)] == [(None, "Audit done"), ("Amber", "Rota agreed")]


def test_an_expired_link_sends_a_new_one_by_email(form_site, browser, tmp_path):
    link = form_site.link()
    form_site.clock.now += dt.timedelta(days=15)
    browser.set_window_size(360, 800)
    browser.get(link)
    assert browser.find_element(By.TAG_NAME, "h1").text == "This link has expired"
    screenshot(browser, tmp_path / "expired-360.png", 360)
    submit(browser)
    assert (
        "A new link is on its way to p•••@police.example.org"
        in browser.find_element(By.TAG_NAME, "main").text
    )
    [mail] = form_site.inbox.wait_for(1)
    browser.get(reminder_link(form_site, mail.html))
    assert browser.find_element(By.ID, f"text-{form_site.ids['1.1']}").is_displayed()


def test_a_forged_link_shows_a_refusal_and_stores_nothing(form_site, browser):
    token = form_site.token()
    forged = re.sub(r"\.(\d+)\.", lambda m: f".{int(m.group(1)) + 1}.", token, count=1)
    browser.get(f"{form_site.base}/u/{forged}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Link not valid"
    assert browser.find_elements(By.TAG_NAME, "form") == []
    assert stored(form_site) == []
