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


# --- a daily marketing export: 7 KPIs by month and channel ----------------------------------

MARKETING_HEADER = (
    "Date,Channel,Campaign,Impressions,Clicks,Cost,Conversions,Revenue,Sessions,Engagement\n"
)
CAMPAIGNS = np.array([f"Campaign {i:02d}" for i in range(40)])


def _marketing_chunk(rng: np.random.Generator, n: int, mess: float) -> tuple[str, dict]:
    """`n` rows; a share `mess` of them written as spreadsheets and ad platforms write numbers
    (`"12,345"`, `"$1,234.56"`, `45.60%`, empty and `--` cells); and their values."""
    day = START + rng.integers(0, SPAN_DAYS, n).astype("timedelta64[D]")
    channel = SOURCES[rng.integers(0, len(SOURCES), n)]
    campaign = CAMPAIGNS[rng.integers(0, len(CAMPAIGNS), n)]
    impressions = rng.integers(10, 20_000, n)
    clicks = (impressions * rng.uniform(0.005, 0.05, n)).astype(int)
    cost = np.round(clicks * rng.uniform(0.2, 3.0, n), 2)
    conversions = rng.integers(0, 40, n)
    revenue = np.round(conversions * rng.uniform(20, 90, n), 2)
    sessions = (clicks * rng.uniform(0.7, 1.0, n)).astype(int)
    engagement = np.round(rng.uniform(0.2, 0.8, n), 4)
    messy = rng.random(n) < mess
    kind = rng.integers(0, 4, n)
    lines = []
    conv_out = conversions.astype(float)
    sess_out = sessions.astype(float)
    for i in range(n):
        imp, cst, rev, eng = (
            str(impressions[i]),
            f"{cost[i]:.2f}",
            f"{revenue[i]:.2f}",
            f"{engagement[i]:.4f}",
        )
        conv, sess = str(conversions[i]), str(sessions[i])
        if messy[i]:
            k = kind[i]
            if k == 0:
                imp, cst, rev = (
                    f'"{impressions[i]:,}"',
                    f'"${cost[i]:,.2f}"',
                    f'"${revenue[i]:,.2f}"',
                )
            elif k == 1:
                eng = f"{engagement[i] * 100:.2f}%"
            elif k == 2:
                conv = ""
                conv_out[i] = np.nan
            else:
                sess = "--"
                sess_out[i] = np.nan
        lines.append(
            f"{day[i]},{channel[i]},{campaign[i]},{imp},{clicks[i]},{cst},{conv},{rev},{sess},{eng}"
        )
    values = {
        "Date": day, "Channel": channel, "Campaign": campaign, "Impressions": impressions,
        "Clicks": clicks, "Cost": cost, "Conversions": conv_out, "Revenue": revenue,
        "Sessions": sess_out, "Engagement": engagement,
    }  # fmt: skip
    return "\n".join(lines) + "\n", values


def marketing_csv(path: Path, rows: int, mess: float = 0.1, seed: int = 5) -> Path:
    """A daily marketing export of `rows` rows, a share `mess` of them messy (written once)."""
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(MARKETING_HEADER)
        for start in range(0, rows, CHUNK):
            text, _ = _marketing_chunk(rng, min(CHUNK, rows - start), mess)
            handle.write(text)
    tmp.replace(path)
    return path


def marketing_parquet(path: Path, rows: int, seed: int = 5) -> Path:
    """The same export's values as a typed Parquet file (no mess: Parquet stores numbers)."""
    if path.exists():
        return path
    import duckdb

    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".tmp.parquet")
    con = duckdb.connect()
    parts = []
    for i, start in enumerate(range(0, rows, CHUNK)):
        _, values = _marketing_chunk(rng, min(CHUNK, rows - start), 0.0)
        part = path.parent / f".{path.stem}-{i}.parquet"
        frame = {k: (v.astype("datetime64[us]") if k == "Date" else v) for k, v in values.items()}
        con.register("chunk", frame)
        con.execute(
            f"COPY (SELECT * REPLACE (CAST(Date AS DATE) AS Date) FROM chunk) TO '{part}' "
            "(FORMAT parquet)"
        )
        con.unregister("chunk")
        parts.append(str(part))
    listed = ", ".join(f"'{p}'" for p in parts)
    con.execute(f"COPY (SELECT * FROM read_parquet([{listed}])) TO '{tmp}' (FORMAT parquet)")
    for part in parts:
        Path(part).unlink()
    tmp.replace(path)
    return path


MARKETING_KPIS = ("cpa", "cpc", "cpm", "ctr", "roas", "conversion_rate", "engagement")


def marketing_workspace(folder: Path, data: Path) -> Path:
    """A workspace reading `data` (CSV or Parquet) as a `csv` source by month and channel."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "definitions").mkdir(exist_ok=True)
    (folder / "definitions" / "bench.yaml").write_text(
        "variables:\n  engagement_share: {unit: ratio, aggregate: mean}\n"
        "kpis:\n  engagement: {title: Engagement, formula: engagement_share, unit: ratio}\n"
    )
    (folder / "kpi.yaml").write_text(
        "name: Benchmark marketing\ncurrency: USD\ngrain: month\n"
        f"kpis: [{', '.join(MARKETING_KPIS)}]\n"
        "sources:\n  ads:\n    connector: csv\n"
        f"    path: {data}\n    date: Date\n    dimensions: {{channel: Channel}}\n"
        "    map:\n      impressions: Impressions\n      clicks: Clicks\n      ad_spend: Cost\n"
        "      conversions: Conversions\n      ad_revenue: Revenue\n      sessions: Sessions\n"
        "      engagement_share: Engagement\n"
    )
    return folder


def sql_workspace(folder: Path, data: Path, url: str) -> Path:
    """The marketing workspace with the Parquet `data` read through the `sql` connector at `url`
    (an in-process engine reading the file as the table `ads`)."""
    marketing_workspace(folder, data)
    (folder / "kpi.yaml").write_text(
        "name: Benchmark marketing (sql)\ncurrency: USD\ngrain: month\n"
        f"kpis: [{', '.join(MARKETING_KPIS)}]\n"
        f"sources:\n  ads:\n    connector: sql\n    url: {url}\n    table: ads\n"
        f"    files: {{ads: {data}}}\n    date: Date\n    dimensions: {{channel: Channel}}\n"
        "    map:\n      impressions: Impressions\n      clicks: Clicks\n      ad_spend: Cost\n"
        "      conversions: Conversions\n      ad_revenue: Revenue\n      sessions: Sessions\n"
        "      engagement_share: Engagement\n"
    )
    return folder
