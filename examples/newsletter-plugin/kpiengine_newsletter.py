"""A complete kpiengine connector in twenty lines: newsletter campaigns from a JSON export.

The export is a list of campaigns: {"sent_at": "2024-06-03T09:00:00", "list": "Students",
"sent": 1200, "opens": 480, "clicks": 60}. Each JSON field becomes a variable through `map:`.
"""

import datetime as dt
import json

import numpy as np

from kpiengine import Connector, Frame, hookimpl
from kpiengine.connector import Option, Request


class NewsletterConnector(Connector):
    name = "newsletter_json"
    description = "Newsletter campaign exports (a JSON list of campaigns)"
    options = (Option("path", "the JSON export, relative to the workspace", required=True),)

    def dimensions(self) -> set[str]:
        return {"list"}

    def fetch(self, request: Request) -> Frame:
        campaigns = [c for path in self.config.paths() for c in json.loads(path.read_text())]
        days = [dt.datetime.fromisoformat(c["sent_at"]).date() for c in campaigns]
        columns = {v: self.config.mappings[v].column for v in request.variables}
        values = {
            v: np.array([float(c.get(k, "nan")) for c in campaigns]) for v, k in columns.items()
        }
        dims = {"list": np.array([c["list"] for c in campaigns], dtype=object)}
        return Frame(np.array(days, dtype="datetime64[D]"), dims, values, source=self.config.name)


@hookimpl
def register_connectors(register):
    register(NewsletterConnector)
