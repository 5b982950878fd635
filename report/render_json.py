"""The report as JSON: exactly the compiled ``ReportData``, keys in a fixed order."""

from __future__ import annotations

import json

from report.data import ReportData

SCHEMA_VERSION = 1


def report_dict(data: ReportData) -> dict:
    return {"schema": SCHEMA_VERSION, **data.to_dict()}


def render_json(data: ReportData) -> str:
    return json.dumps(report_dict(data), ensure_ascii=False, indent=2) + "\n"
