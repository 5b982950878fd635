"""Email: the channel that reaches leads outside Slack.

- ``smtp``: the SMTP connection (``PROGRESSBOT_SMTP_URL``) and what a refusal means (retry, bounce, or
  a fault in our own settings);
- ``render``: the reminder, confirmation and new-link emails, plain text plus HTML;
- ``outbox``: email waiting to be sent, as ``reminder_messages`` rows with ``via = "email"``, claimed
  before sending so two processes never send the same one.
"""
