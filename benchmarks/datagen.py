"""Deterministic benchmark data: an N-row HubSpot deals export and a workspace around it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

SOURCES = np.array(
    ["Organic Search", "Paid Search", "Paid Social", "Email Marketing", "Referrals",
     "Direct Traffic", "Offline Sources", "Other Campaigns"]
)  # fmt: skip
STAGES = np.array(["Closed won", "Closed lost", "Contract sent", "Qualified to buy"])
HEADER = (
    '"Record ID","Deal Name","Deal Stage","Close Date","Amount","Pipeline","Create Date",'
    '"Original Source Type"\n'
)
START = np.datetime64("2020-01-01")
SPAN_DAYS = 5 * 365
CHUNK = 250_000


def _chunk(rng: np.random.Generator, first_id: int, n: int) -> str:
    created = START + rng.integers(0, SPAN_DAYS, n).astype("timedelta64[D]")
    cycle = rng.exponential(25, n).astype(int) + 1
    closed = created + cycle.astype("timedelta64[D]")
    stage = STAGES[rng.choice(4, n, p=[0.3, 0.45, 0.15, 0.1])]
    open_deal = np.isin(stage, STAGES[2:])
    amount = np.round(rng.lognormal(6.5, 0.6, n), 2)
    source = SOURCES[rng.integers(0, len(SOURCES), n)]
    hours = rng.integers(8, 20, n)
    lines = [
        f'"{first_id + i}","Deal {first_id + i}","{stage[i]}",'
        f'"{"" if open_deal[i] else f"{closed[i]} {hours[i]:02d}:15"}","{amount[i]:.2f}",'
        f'"Sales Pipeline","{created[i]} {hours[i]:02d}:05","{source[i]}"'
        for i in range(n)
    ]
    return "\n".join(lines) + "\n"


def deals_csv(path: Path, rows: int, seed: int = 7) -> Path:
    """Write `rows` deals shaped like a HubSpot export (written once per size and seed)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for start in range(0, rows, CHUNK):
            handle.write(_chunk(rng, 1_000_000 + start, min(CHUNK, rows - start)))
    tmp.replace(path)
    return path


def deals_workspace(folder: Path, rows: int) -> Path:
    """A workspace whose only source is the deals export."""
    folder.mkdir(parents=True, exist_ok=True)
    deals_csv(folder / "deals.csv", rows)
    (folder / "kpi.yaml").write_text(
        "name: Benchmark deals\ncurrency: EUR\nsources:\n  deals:\n    connector: crm\n"
        "    path: deals.csv\n"
    )
    return folder


def month(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


GA_CHANNELS = np.array(
    ["Organic Search", "Paid Search", "Direct", "Email", "Referral", "Organic Social",
     "Paid Social", "Display", "Affiliates", "Unassigned"]
)  # fmt: skip


def ga4_export(path: Path, rows: int, seed: int = 3) -> Path:
    """A GA4 traffic-acquisition CSV download with `rows` rows (date x channel x source)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    days = START + np.sort(rng.integers(0, SPAN_DAYS, rows)).astype("timedelta64[D]")
    channel = GA_CHANNELS[rng.integers(0, len(GA_CHANNELS), rows)]
    source = rng.integers(0, 500, rows)
    sessions = rng.integers(1, 5000, rows)
    engaged = (sessions * rng.uniform(0.4, 0.7, rows)).astype(int)
    users = (sessions * 0.8).astype(int)
    head = (
        "# ----------------------------------------\n# Traffic acquisition\n"
        "# Property: bench - GA4\n# ----------------------------------------\n#\n"
        f"# Start date: {str(days[0]).replace('-', '')}\n"
        f"# End date: {str(days[-1]).replace('-', '')}\n"
        "Date,Session default channel group,Session source,Users,Sessions,Engaged sessions\n"
    )
    lines = [
        f'{str(days[i]).replace("-", "")},{channel[i]},source{source[i]},"{users[i]:,}",'
        f'"{sessions[i]:,}","{engaged[i]:,}"'
        for i in range(rows)
    ]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(head + "\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def ga_workspace(folder: Path, rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ga4_export(folder / "ga4.csv", rows)
    (folder / "kpi.yaml").write_text(
        "sources:\n  ga4:\n    connector: ga_export\n    path: ga4.csv\n"
    )
    return folder
