"""What each request does, as plain functions of ``Services``: listeners stay thin and call these.

One module per feature, along the same lines as ``bot.listeners``: the answers given in the
acknowledgement (``quick_answers``), the modals a command or button opens (``modals``), summaries
(``summaries``), report files (``report_files``) and the Home tab (``home_tab``); ``asking`` holds the
checks they all start with.

Each function opens its own short transaction (``services.transaction`` when it writes, a plain
``read_factory.begin()`` when it only reads) and makes its Slack calls after the transaction has
committed, so a failed Slack call never leaves a half-done write and a failed write never leaves a
message claiming success.
"""
