"""Google Analytics segment headers, for the `ga_export` connector (not a plugin module).

The column that names each row's segment, as a `_ga_headers.FIELDS` entry (kind `dim`):
Universal Analytics writes `Segment` when several segments are applied (the Core Reporting
API's `ga:segment`), GA4 Explorations `Segment` under a segment comparison, and the GA4 Data API
`comparison` for its comparisons. Segments overlap (a mobile session is one of `All Users`
too): `_ga_segments` never adds rows of different segments. The English, French and
traditional Chinese (`區隔`, Google's own UA documentation) names are confirmed; simplified
Chinese, Persian and the comparison column's translations are GA's usual terms, assumed.
"""

from __future__ import annotations

SEGMENT_FIELDS: dict[str, tuple[str, dict[str, str]]] = {
    "segment": (
        "dim",
        {
            "en": "Segment|Segments|Comparison|comparison",
            "fr": "Segment|Segments|Comparaison",
            "zh": "细分|區隔|区隔|比较|比較",
            "fa": "بخش|سگمنت|مقایسه",
        },
    ),
}
