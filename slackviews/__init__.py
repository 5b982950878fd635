"""Slack views: pure Block Kit builders (data in, blocks out) and the text helpers they share.

Escaping, Slack's size limits and the wording of every message the bot, the passes and the emails
send. Nothing here reads the database or calls Slack, so ``bot``, ``jobs`` and ``mail`` can all use
it; it depends only on ``storage`` (RAG schemes) and ``report`` (summaries).
"""
