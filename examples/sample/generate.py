"""Recreate the sample workspace's exports: 24 months of a fictional online-course business.

Deterministic (fixed seed). The files are shaped like the real exports, quirks included:
- exports/ga4_traffic_acquisition.csv: GA4 "Traffic acquisition" download (metadata block,
  Grand total row, formatted numbers, engagement rate as a percentage, durations);
- exports/ga4_users_by_month.csv: GA4 users by "Year month": users are distinct people, whose
  monthly count is not the sum of the days' (the same person visits on several days);
- exports/hubspot_contacts.csv and exports/hubspot_deals.csv: HubSpot CRM exports (lifecycle
  dates, empty cells, HubSpot's own source labels);
- exports/google_ads_campaigns.csv: Google Ads campaign report (title and date-range lines,
  "1,234" numbers, Total rows at the end);
- costs/marketing_costs.csv: the team's cost spreadsheet (semicolons, "1.234,50 €", months as
  01/2024).
Data runs from 2023-01-01 to 2024-12-18, so December 2024 is a partial month.
Run: python examples/sample/generate.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path

import numpy as np

START = dt.date(2023, 1, 1)
END = dt.date(2024, 12, 18)
# GA channel group: (sessions a day, lead rate per session, HubSpot's label for it)
CHANNELS = {
    "Organic Search": (420, 0.0022, "Organic Search"),
    "Paid Search": (260, 0.0040, "Paid Search"),
    "Paid Social": (300, 0.0018, "Paid Social"),
    "Email": (120, 0.0050, "Email Marketing"),
    "Referral": (70, 0.0035, "Referrals"),
    "Direct": (150, 0.0020, "Direct Traffic"),
}
CAMPAIGNS = {  # Google Ads campaign: (type, share of Paid Search sessions, cost per click)
    "Brand - Exact": ("Search", 0.35, 0.45),
    "Courses - Generic": ("Search", 0.45, 1.35),
    "PMax - Course catalogue": ("Performance Max", 0.20, 0.95),
}
COURSE_PRICE = 240.0


def seasonality(day: dt.date) -> float:
    """January and September peaks (resolutions, back to school), a summer dip."""
    t = (day.timetuple().tm_yday - 1) / 365.25
    return 1.0 + 0.18 * math.cos(2 * math.pi * t) + 0.12 * math.cos(2 * math.pi * (t - 0.69) * 2)


def days() -> list[dt.date]:
    return [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]


def thousands(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def stamp(day: dt.date, rng: np.random.Generator) -> str:
    minutes = int(rng.integers(8 * 60, 20 * 60))
    return f"{day.isoformat()} {minutes // 60:02d}:{minutes % 60:02d}"


def simulate(rng: np.random.Generator):
    """Daily sessions per channel, then contacts and deals drawn from them."""
    traffic, contacts, deals = [], [], []
    record = 451000
    for day in days():
        growth = 1.0 + 0.012 * ((day - START).days / 30.4)
        weekday = 0.8 if day.weekday() >= 5 else 1.05
        for channel, (daily, lead_rate, label) in CHANNELS.items():
            sessions = int(rng.poisson(daily * seasonality(day) * growth * weekday))
            engaged = int(rng.binomial(sessions, 0.72 if channel == "Email" else 0.58))
            users = int(sessions * rng.uniform(0.78, 0.86))
            views = int(sessions * rng.uniform(2.1, 3.4))
            key_events = int(rng.binomial(sessions, 0.035))
            seconds = int(rng.normal(96, 20))
            traffic.append((day, channel, users, sessions, engaged, views, key_events, seconds))
            for _ in range(int(rng.binomial(sessions, lead_rate * 3))):
                record += 1
                contacts.append(_contact(record, day, label, rng))
    for contact in contacts:
        if contact["Became an Opportunity Date"]:
            deals.append(_deal(len(deals), contact, rng))
    return traffic, contacts, deals


def _later(day: dt.date, rng: np.random.Generator, mean: float) -> dt.date | None:
    later = day + dt.timedelta(days=int(rng.exponential(mean)) + 1)
    return later if later <= END else None


def _contact(record: int, day: dt.date, source: str, rng: np.random.Generator) -> dict:
    dates: dict[str, dt.date | None] = {"lead": day}
    steps = (("mql", 0.48, 4), ("sql", 0.55, 6), ("opportunity", 0.8, 3), ("customer", 0.42, 12))
    previous = day
    for name, rate, mean in steps:
        reached = previous is not None and rng.random() < rate
        dates[name] = previous = _later(previous, rng, mean) if reached else None
    churn = _later(dates["customer"], rng, 420) if dates["customer"] else None
    stage = next(
        (label for key, label in (("customer", "Customer"), ("opportunity", "Opportunity"),
         ("sql", "Sales Qualified Lead"), ("mql", "Marketing Qualified Lead")) if dates[key]),
        "Lead",
    )  # fmt: skip

    def text(name: str) -> str:
        value = dates.get(name)
        return stamp(value, rng) if value else ""

    return {
        "Record ID": str(record),
        "Lifecycle Stage": stage,
        "Create Date": stamp(day, rng),
        "Original Source": source,
        "Became a Lead Date": text("lead"),
        "Became a Marketing Qualified Lead Date": text("mql"),
        "Became a Sales Qualified Lead Date": text("sql"),
        "Became an Opportunity Date": text("opportunity"),
        "Became a Customer Date": text("customer"),
        "Churn Date": churn.isoformat() if churn else "",
    }


def _deal(index: int, contact: dict, rng: np.random.Generator) -> dict:
    created = dt.date.fromisoformat(contact["Became an Opportunity Date"][:10])
    won = contact["Became a Customer Date"]
    closed = dt.date.fromisoformat(won[:10]) if won else _later(created, rng, 20)
    if won:
        stage = "Closed won"
    elif closed is None:
        stage = str(rng.choice(["Qualified to buy", "Presentation scheduled", "Contract sent"]))
    else:
        stage = "Closed lost"
    seats = int(rng.choice([1, 1, 1, 2, 5, 12]))
    amount = round(COURSE_PRICE * seats * rng.uniform(0.85, 1.15), 2)
    return {
        "Record ID": str(15800000000 + index),
        "Deal Name": f"Course licence - {contact['Record ID']}",
        "Deal Stage": stage,
        "Close Date": stamp(closed, rng) if closed else "",
        "Amount": "" if stage == "Closed won" and index % 97 == 0 else f"{amount:.2f}",
        "Pipeline": "Sales Pipeline",
        "Create Date": stamp(created, rng),
        "Original Source Type": contact["Original Source"],
    }


def ga4_export(traffic) -> str:
    out = io.StringIO()
    out.write(
        "# ----------------------------------------\n"
        "# Traffic acquisition: Session default channel group\n"
        "# Account: Northwind Courses\n"
        "# Property: northwind-courses.example - GA4\n"
        "# ----------------------------------------\n#\n# All Users\n"
        f"# Start date: {START:%Y%m%d}\n# End date: {END:%Y%m%d}\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Date", "Session default channel group", "Users", "Sessions", "Engaged sessions",
         "Engagement rate", "Average engagement time per session", "Views", "Key events"]
    )  # fmt: skip
    totals = np.sum([row[2:7] for row in traffic], axis=0)
    seconds = sum(r[7] * r[3] for r in traffic) / max(totals[1], 1)
    writer.writerow(
        ["Grand total", "", thousands(totals[0]), thousands(totals[1]), thousands(totals[2]),
         f"{100 * totals[2] / totals[1]:.2f}%", _duration(seconds), thousands(totals[3]),
         thousands(totals[4])]
    )  # fmt: skip
    for day, channel, users, sessions, engaged, views, events, secs in traffic:
        rate = f"{100 * engaged / sessions:.2f}%" if sessions else "0.00%"
        writer.writerow(
            [f"{day:%Y%m%d}", channel, thousands(users), thousands(sessions), thousands(engaged),
             rate, _duration(secs), thousands(views), thousands(events)]
        )  # fmt: skip
    return out.getvalue()


def ga4_users(traffic) -> str:
    """Users by month: people come back on several days, so a month's users are fewer than
    the days' added up (drawn from no random numbers: the other exports stay as they are)."""
    by_month: dict[str, int] = {}
    for day, _, users, *_ in traffic:
        by_month[f"{day:%Y%m}"] = by_month.get(f"{day:%Y%m}", 0) + users
    out = io.StringIO()
    out.write(
        "# ----------------------------------------\n"
        "# Users: Year month\n"
        "# Account: Northwind Courses\n"
        "# Property: northwind-courses.example - GA4\n"
        "# ----------------------------------------\n#\n# All Users\n"
        f"# Start date: {START:%Y%m%d}\n# End date: {END:%Y%m%d}\n"
    )
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Year month", "Total users", "New users"])
    total = int(sum(by_month.values()) * 0.41)
    writer.writerow(["Grand total", thousands(total), thousands(int(total * 0.93))])
    for month, users in by_month.items():
        monthly = int(users * 0.68)
        writer.writerow([month, thousands(monthly), thousands(int(monthly * 0.57))])
    return out.getvalue()


def _duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def google_ads_report(traffic, rng: np.random.Generator) -> str:
    out = io.StringIO()
    span = f"{START:%B} {START.day}, {START.year} - {END:%B} {END.day}, {END.year}"
    out.write(f'Campaign report\n"{span}"\n')
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["Day", "Campaign", "Campaign type", "Campaign status", "Currency code", "Impr.",
         "Clicks", "CTR", "Avg. CPC", "Cost", "Conversions", "Conv. value"]
    )  # fmt: skip
    totals: dict[str, np.ndarray] = {}
    for day, channel, _, sessions, *_ in traffic:
        if channel != "Paid Search":
            continue
        for name, (kind, share, cpc) in CAMPAIGNS.items():
            clicks = int(sessions * share * rng.uniform(0.92, 1.0))
            impressions = int(clicks * rng.uniform(25, 45))
            cost = round(clicks * cpc * rng.uniform(0.9, 1.1), 2)
            conversions = round(clicks * rng.uniform(0.03, 0.06), 2)
            value = round(conversions * COURSE_PRICE * rng.uniform(0.25, 0.45), 2)
            row = np.array([impressions, clicks, cost, conversions, value])
            for key in ("Campaigns", "Account", kind):
                totals[key] = totals.get(key, 0) + row
            writer.writerow(
                [day.isoformat(), name, kind, "Enabled", "EUR", thousands(impressions), clicks,
                 f"{100 * clicks / max(impressions, 1):.2f}%", f"{cost / max(clicks, 1):.2f}",
                 thousands(cost, 2), f"{conversions:.2f}", thousands(value, 2)]
            )  # fmt: skip
    for key in ("Account", "Search", "Performance Max", "Campaigns"):
        imp, clicks, cost, conv, value = totals[key]
        writer.writerow(
            [f"Total: {key}", "--", "--", "--", "EUR", thousands(imp), thousands(clicks),
             f"{100 * clicks / imp:.2f}%", f"{cost / clicks:.2f}", thousands(cost, 2),
             f"{conv:.2f}", thousands(value, 2)]
        )  # fmt: skip
    return out.getvalue()


def cost_sheet(traffic, ads_cost: dict[str, float], rng: np.random.Generator) -> str:
    """Monthly costs per channel, as a European spreadsheet saves them."""
    sessions: dict[tuple[str, str], int] = {}
    for day, channel, _, count, *_ in traffic:
        key = (f"{day:%m/%Y}", channel)
        sessions[key] = sessions.get(key, 0) + count
    lines = ["Month;Channel;Cost type;Amount"]
    for (month, channel), count in sessions.items():
        content = {"Organic Search": 2500, "Email": 1200, "Paid Social": 400}.get(channel, 800)
        items = [("Content & team", content * rng.uniform(0.9, 1.1))]
        if channel == "Paid Social":
            items.append(("Meta Ads", count * 0.25 * rng.uniform(0.9, 1.1)))
        if channel == "Paid Search":
            items.append(("Google Ads", ads_cost.get(month, 0.0)))
        for kind, amount in items:
            text = f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
            lines.append(f'{month};{channel};{kind};"{text} €"')
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding=encoding, newline="")
    tmp.replace(path)


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main(folder: Path = Path(__file__).parent) -> list[Path]:
    rng = np.random.default_rng(20240618)
    traffic, contacts, deals = simulate(rng)
    ads = google_ads_report(traffic, rng)
    ads_cost: dict[str, float] = {}
    for row in csv.reader(io.StringIO(ads.split("\n", 2)[2])):
        if row and row[0][:2] == "20":
            month = f"{row[0][5:7]}/{row[0][:4]}"
            ads_cost[month] = ads_cost.get(month, 0.0) + float(row[9].replace(",", ""))
    files = {
        "exports/ga4_traffic_acquisition.csv": ga4_export(traffic),
        "exports/ga4_users_by_month.csv": ga4_users(traffic),
        "exports/hubspot_contacts.csv": _csv(contacts),
        "exports/hubspot_deals.csv": _csv(deals),
        "exports/google_ads_campaigns.csv": ads,
        "costs/marketing_costs.csv": cost_sheet(traffic, ads_cost, rng),
    }
    for name, text in files.items():
        _write(folder / name, text)
    return [folder / name for name in files]


if __name__ == "__main__":
    for path in main():
        print(path)
