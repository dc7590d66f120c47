"""Recreate the sample workspace's data.csv: 24 months of a fictional online-course business.

Deterministic (fixed seed): daily rows per acquisition channel from 2023-01-01 to 2024-12-18,
so the last month is partial. Run: python examples/sample/generate.py
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np

START = dt.date(2023, 1, 1)
END = dt.date(2024, 12, 18)  # December 2024 is a partial month
# channel: (sessions per day, conversion to lead, paid?, cost per session)
CHANNELS = {
    "Organic Search": (420, 0.030, False, 0.15),
    "Paid Search": (260, 0.045, True, 1.10),
    "Paid Social": (310, 0.022, True, 0.70),
    "Email": (120, 0.060, False, 0.08),
    "Referral": (70, 0.040, False, 0.05),
    "Direct": (150, 0.025, False, 0.0),
}
COLUMNS = [
    "date", "channel", "sessions", "visitors", "pageviews", "bounces", "engaged_sessions",
    "organic_sessions", "social_sessions", "impressions", "clicks", "ad_spend", "ad_revenue",
    "conversions", "goal_completions", "trial_signups", "leads", "mqls", "sqls", "sqos",
    "opportunities", "deals_won", "new_customers", "revenue", "marketing_cost", "sales_cost",
    "customers_at_start", "customers_at_end", "churned_customers", "sales_cycle_days",
]  # fmt: skip
COURSE_PRICE = 240.0


def seasonality(day: dt.date) -> float:
    """January and September peaks (new-year resolutions, back to school), a summer dip."""
    t = (day.timetuple().tm_yday - 1) / 365.25
    return 1.0 + 0.18 * math.cos(2 * math.pi * t) + 0.12 * math.cos(2 * math.pi * (t - 0.69) * 2)


def rows() -> list[list]:
    rng = np.random.default_rng(20240618)
    base = {c: 400 + 150 * i for i, c in enumerate(CHANNELS)}  # customers per channel
    out = []
    day = START
    while day <= END:
        growth = 1.0 + 0.012 * ((day - START).days / 30.4)
        weekday = 0.8 if day.weekday() >= 5 else 1.05
        for channel, (daily, lead_rate, paid, cost_per_session) in CHANNELS.items():
            level = daily * seasonality(day) * growth * weekday
            sessions = int(rng.poisson(level))
            visitors = int(sessions * rng.uniform(0.78, 0.86))
            bounces = int(rng.binomial(sessions, 0.42 if channel != "Email" else 0.28))
            engaged = sessions - bounces
            leads = int(rng.binomial(sessions, lead_rate))
            mqls = int(rng.binomial(leads, 0.45))
            sqls = int(rng.binomial(mqls, 0.5))
            opportunities = int(rng.binomial(sqls, 0.8))
            deals = int(rng.binomial(opportunities, 0.35))
            trials = int(rng.binomial(sessions, 0.05))
            new_customers = deals + int(rng.binomial(trials, 0.12))
            revenue = round(new_customers * COURSE_PRICE * rng.uniform(0.85, 1.2), 2)
            impressions = int(sessions * rng.uniform(28, 40)) if paid else 0
            clicks = int(sessions * rng.uniform(0.92, 1.0)) if paid else 0
            ad_spend = round(sessions * cost_per_session * rng.uniform(0.9, 1.1), 2) if paid else 0
            content = 500.0 if channel in ("Organic Search", "Email") else 250.0
            marketing_cost = round(ad_spend + content + sessions * cost_per_session * 0.1, 2)
            churned = int(rng.binomial(base[channel], 0.0016))
            start = base[channel]
            base[channel] = start + new_customers - churned
            out.append(
                [
                    day.isoformat(), channel, sessions, visitors,
                    int(sessions * rng.uniform(2.1, 3.4)),
                    bounces, engaged, sessions if channel == "Organic Search" else 0,
                    sessions if channel == "Paid Social" else 0, impressions, clicks, ad_spend,
                    round(revenue * 0.9, 2) if paid else 0, leads + new_customers,
                    leads, trials, leads, mqls, sqls, opportunities, opportunities, deals,
                    new_customers, revenue, marketing_cost, round(45.0 + deals * 12.0, 2),
                    start, base[channel], churned, int(deals * rng.uniform(9, 30)),
                ]
            )  # fmt: skip
        day += dt.timedelta(days=1)
    return out


def main(folder: Path = Path(__file__).parent) -> Path:
    path = folder / "data.csv"
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows())
    tmp.replace(path)
    return path


if __name__ == "__main__":
    print(main())
