"""The form's pages and HTML pieces, pure: contrast (WCAG AA), RAG as words, escaping, redaction."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from bot.logs import redact
from mail.html import contrast_ratio, rag_badge, text_on
from mail.links import BadLink, Links
from web import pages

# (text, background) pairs the stylesheet uses, as written in web/pages.CSS.
PAIRS = [
    ("#0b0c0c", "#f3f2f1"),  # body text on the page
    ("#0b0c0c", "#ffffff"),  # text in the cards and inputs
    ("#383f43", "#ffffff"),  # hints and meta text
    ("#383f43", "#f3f2f1"),
    ("#b00020", "#ffffff"),  # errors
    ("#0b5394", "#ffffff"),  # links
    ("#0b5394", "#f3f2f1"),
    ("#ffffff", "#0b3d6b"),  # the header bar, the secondary button
    ("#ffffff", "#00703c"),  # the Save button
    ("#333333", "#ffffff"),  # "No RAG yet"
]


def test_every_text_colour_on_its_background_meets_wcag_aa():
    for fg, bg in PAIRS:
        assert fg in pages.CSS or fg in ("#333333",), fg
        assert contrast_ratio(fg, bg) >= 4.5, (fg, bg, contrast_ratio(fg, bg))


@given(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True))
def test_a_rag_badges_text_contrasts_enough_with_any_plan_colour(colour):
    assert contrast_ratio(text_on(colour), colour) >= 4.5


def test_a_rag_badge_is_a_word_on_its_colour_never_colour_alone():
    badge = rag_badge("Amber", "#FFC000")
    assert ">Amber</span>" in badge and "background:#FFC000" in badge and "color:#000000" in badge
    assert ">No RAG yet<" in rag_badge(None, None)
    assert "&lt;script&gt;" in rag_badge("<script>", "#ff0000")
    assert "background:#ffffff" in rag_badge("Odd", "not-a-colour")


def test_the_form_links_never_reach_a_log_line():
    line = '127.0.0.1 - - "GET /u/v1.12.3.1795412345.AbCdEfGhIjK.' + "x" * 43 + ' HTTP/1.1" 200 5120'
    assert redact(line) == '127.0.0.1 - - "GET /u/[redacted] HTTP/1.1" 200 5120'
    assert redact("POST /u/v1.1.1.1.AAAAAAAAAAA.bbb/new-link") == "POST /u/[redacted]/new-link"


def test_links_are_scoped_signed_and_expire():
    links = Links("k" * 40, days=14)
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    token = links.make(7, 3, "Pat@Example.org", now)
    claims = links.read(token)
    assert (claims.person_id, claims.plan_id, claims.issued_at) == (7, 3, now)
    assert not links.expired(claims, now + dt.timedelta(days=13, hours=23))
    assert links.expired(claims, now + dt.timedelta(days=14))
    assert links.expired(claims, now - dt.timedelta(hours=1))  # made "in the future": not trusted
    assert Links("k" * 40, days=7).expired(claims, now + dt.timedelta(days=8))  # the setting applies at once
    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.replace(".7.", ".8.", 1),
        "",
        "x" * 500,
    ):
        try:
            links.read(bad)
        except BadLink:
            continue
        raise AssertionError(f"accepted {bad!r}")
    csrf = links.csrf(token, "nonce-1")
    assert links.csrf_ok(token, "nonce-1", csrf)
    assert not links.csrf_ok(token, "nonce-2", csrf) and not links.csrf_ok(token[:-1] + "x", "nonce-1", csrf)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", token) and len(token) < 100
    assert "k" * 10 not in repr(links)
