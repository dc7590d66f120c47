"""Universal Analytics summary headers, for the `ga_export` connector (not a plugin module).

The metrics of UA's Audience Overview and Acquisition Overview summary blocks that no other
`_ga_headers.FIELDS` entry names, as entries of it: `Number of Sessions per User`
(`ga:sessionsPerUser`, kind `ratio`: sessions / users, read as the plain number it is, never
summed nor weighed by sessions) and `% New Sessions` (`ga:percentNewSessions`, a rate of
sessions: new users / sessions). The English names are the Core Reporting API's `uiName`s, as
the interface writes them; the French and Chinese ones are the interface's usual terms, assumed.
"""

from __future__ import annotations

SUMMARY_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "sessions_per_user": (
        "ratio",
        {
            "en": "Number of Sessions per User|sessionsPerUser",
            "fr": "Nombre de sessions par utilisateur",
            "zh": "每位用户的会话数|每位使用者的工作階段數",
        },
    ),
    "percent_new_sessions": (
        "rate",
        {
            "en": "% New Sessions|percentNewSessions",
            "fr": "% de nouvelles sessions",
            "zh": "新会话百分比|新工作階段百分比",
        },
    ),
}
