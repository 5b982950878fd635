"""The board report and the summaries on demand.

``compile.compile_report`` loads a plan as of a moment into ``data.ReportData``; ``render.render`` turns it
into DOCX, HTML, PDF, JSON or Markdown; ``publish.publish_version`` freezes a version (the next
baseline); ``summaries`` and ``text`` give the short views for the CLI and Slack.
"""
