"""Google Ads' `Total: Account` against the rows: the account's whole spend, hidden campaigns
included. Rows short of it are an error naming the gap and the totals without rows, whether or
not `Total: Campaigns` (the rows shown) or campaign types' totals are there too; a download split
into several files of one source is the account's when its files' rows together make it.

Expected values are computed here from the file texts with the csv module.
"""

import csv
import io

import pytest
from test_connector_ads import connector, fetch

from kpiengine.errors import KpiError

HEAD = 'Campaign report\r\n"June 1, 2024 - June 30, 2024"\r\n'
HEADER = "Campaign,Campaign status,Campaign type,Currency code,Impr.,Clicks,Cost,Conversions\r\n"
#: three Search campaigns: a report filtered to Search (its Performance Max campaign hidden)
SEARCH = (
    'Brand - Exact,Enabled,Search,USD,"12,400",980,612.30,28.00\r\n'
    'Generic - Shoes,Enabled,Search,USD,"21,300",820,"1,204.90",25.00\r\n'
    'Competitor,Paused,Search,USD,"12,440",370,557.50,12.00\r\n'
)
PMAX = 'PMax - All Products,Enabled,Performance Max,USD,"152,300","1,880","2,406.40",63.30\r\n'
CAMPAIGNS = 'Total: Campaigns,,,USD,"46,140","2,170","2,374.70",65.00\r\n'
ACCOUNT = 'Total: Account,,,USD,"198,440","4,050","4,781.10",128.30\r\n'
PMAX_TOTAL = 'Total: Performance Max campaigns,,,USD,"152,300","1,880","2,406.40",63.30\r\n'
SEARCH_TOTAL = 'Total: Search campaigns,,,USD,"46,140","2,170","2,374.70",65.00\r\n'


def cells(text):
    """The file's records after its header: data rows and `Total:` rows, as dicts."""
    rows = list(csv.reader(io.StringIO(text)))
    start = next(i for i, r in enumerate(rows) if r and r[0] == "Campaign")
    return [dict(zip(rows[start], r, strict=True)) for r in rows[start + 1 :] if r]


def money(text):
    return float(text.replace(",", ""))


def gap_of(text, column="Cost"):
    """The rows' sum, the account total and what it has more, by the csv module."""
    records = cells(text)
    rows = sum(money(r[column]) for r in records if ":" not in r["Campaign"])
    account = next(money(r[column]) for r in records if r["Campaign"] == "Total: Account")
    return rows, account, account - rows


def drop_type_column(text):
    out = []
    for line in text.split("\r\n"):
        row = next(csv.reader([line])) if line else []
        if len(row) == 8:
            row = row[:2] + row[3:]
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow(row)
            line = buffer.getvalue()
        out.append(line)
    return "\r\n".join(out)


def line_of(text, startswith):
    return next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(startswith))


# the tester's report and the same data without `Total: Campaigns`, without the type's total,
# and without the campaign type column: one error, the same numbers
VARIANTS = {
    "campaigns, account, type": CAMPAIGNS + ACCOUNT + PMAX_TOTAL,
    "account, type": ACCOUNT + PMAX_TOTAL,
    "campaigns, account": CAMPAIGNS + ACCOUNT,
    "account": ACCOUNT,
    "type, account, campaigns": PMAX_TOTAL + ACCOUNT + CAMPAIGNS,
}


@pytest.mark.parametrize("typed", [True, False], ids=["type column", "no type column"])
@pytest.mark.parametrize("totals", VARIANTS)
def test_rows_short_of_the_account_are_one_error_whatever_other_totals_say(tmp_path, totals, typed):
    text = HEAD + HEADER + SEARCH + VARIANTS[totals]
    text = text if typed else drop_type_column(text)
    (tmp_path / "r.csv").write_text(text, "utf-8")
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, "r.csv"), "ad_spend", "clicks")
    rows, account, gap = gap_of(text)
    assert (rows, account) == (pytest.approx(2374.70), pytest.approx(4781.10))  # the tester's
    said = info.value.message
    assert said.startswith(
        f"the rows add up to {rows:,.2f} in column `Cost` but `Total: Account` says "
        f"{account:,.2f}, {gap:,.2f} more"
    ), said
    if "type" in totals:  # the total without rows is named (told by the type column, or by
        # its numbers making the gap on every column)
        assert said.endswith(f": `Total: Performance Max campaigns` ({gap:,.2f}) has no rows")
    else:
        assert said.endswith(f"{gap:,.2f} more")
    assert info.value.location.line == line_of(text, "Total: Account")
    fix = info.value.fix or ""
    assert "all campaigns and no filter" in fix
    assert ("`Total: Campaigns` totals only the rows shown" in fix) == ("campaigns" in totals)


def test_clicks_alone_are_checked_too(tmp_path):
    text = HEAD + HEADER + SEARCH + CAMPAIGNS + ACCOUNT + PMAX_TOTAL
    (tmp_path / "r.csv").write_text(text, "utf-8")
    rows, account, gap = gap_of(text, "Clicks")
    with pytest.raises(
        KpiError, match=f"add up to {rows:,.2f} in column `Clicks`.* {gap:,.2f} more"
    ):
        fetch(connector(tmp_path, "r.csv"), "clicks")


def test_a_removed_campaign_in_the_account_total_only(tmp_path):
    # the default view hides removed campaigns: `Total: Search campaigns` counts the one that
    # spent 120.00 this month, the rows do not
    account = 'Total: Account,,,USD,"46,640","2,270","2,494.70",66.00\r\n'
    search = 'Total: Search campaigns,,,USD,"46,640","2,270","2,494.70",66.00\r\n'
    text = HEAD + HEADER + SEARCH + CAMPAIGNS + search + account
    (tmp_path / "r.csv").write_text(text, "utf-8")
    rows, total, gap = gap_of(text)
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, "r.csv"), "ad_spend")
    assert info.value.message.endswith(
        f"says {total:,.2f}, {gap:,.2f} more: `Total: Search campaigns` is {gap:,.2f} more than "
        "its rows"
    )
    assert "removed ones are hidden by default" in (info.value.fix or "")


def test_rows_making_the_account_pass_with_every_total(tmp_path):
    text = HEAD + HEADER + SEARCH + PMAX + ACCOUNT + SEARCH_TOTAL + PMAX_TOTAL
    text += ACCOUNT.replace("Total: Account", "Total: Campaigns")
    (tmp_path / "r.csv").write_text(text, "utf-8")
    frame = fetch(connector(tmp_path, "r.csv"), "ad_spend", "clicks")
    assert frame.values["ad_spend"].sum() == pytest.approx(gap_of(text)[1])


def test_a_download_split_into_files_of_one_source_is_the_accounts(tmp_path):
    """Search and Performance Max downloaded apart, each under the account's total: the
    source's two files together make it."""
    (tmp_path / "ads").mkdir()
    one = HEAD + HEADER + SEARCH + CAMPAIGNS + ACCOUNT + PMAX_TOTAL
    two = HEAD + HEADER + PMAX + PMAX_TOTAL.replace("Performance Max campaigns", "Campaigns")
    two += ACCOUNT
    (tmp_path / "ads" / "search.csv").write_text(one, "utf-8")
    (tmp_path / "ads" / "pmax.csv").write_text(two, "utf-8")
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend", "clicks")
    account = gap_of(one)[1]
    both = gap_of(one)[0] + gap_of(two)[0]
    assert both == pytest.approx(account)
    assert frame.values["ad_spend"].sum() == pytest.approx(account)
    # a campaign missing from one part (its rows and `Total: Campaigns` 100.00 less): the
    # files' rows together are short of the account, said of both
    short = two.replace('"2,406.40"', "2306.40")
    assert short.count("2306.40") == 2
    (tmp_path / "ads" / "pmax.csv").write_text(short, "utf-8")
    with pytest.raises(KpiError) as info:
        fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
    said = info.value.message
    assert f"add up to {both - 100:,.2f} in column `Cost`" in said
    assert f"says {account:,.2f}, 100.00 more" in said and "`ads/pmax.csv`" in said


def test_localized_account_and_campaigns_totals(tmp_path):
    text = HEAD + HEADER + SEARCH
    text += CAMPAIGNS.replace("Total: Campaigns", "Gesamt: Kampagnen")
    text += ACCOUNT.replace("Total: Account", "Gesamt: Konto")
    (tmp_path / "r.csv").write_text(text, "utf-8")
    rows, _, _ = gap_of(text.replace("Gesamt: Konto", "Total: Account"))
    with pytest.raises(KpiError, match=f"add up to {rows:,.2f} .* `Gesamt: Konto` says 4,781.10"):
        fetch(connector(tmp_path, "r.csv"), "ad_spend")


def test_a_split_daily_download_is_the_accounts_too(tmp_path):
    head = HEAD + "Day,Campaign,Currency code,Clicks,Cost\r\n"
    account = "Total: Account,,USD,35,75.00\r\n"
    one = head + "2024-06-01,Brand,USD,10,10.00\r\n2024-06-02,Brand,USD,10,20.00\r\n" + account
    two = head + "2024-06-01,PMax,USD,15,45.00\r\n" + account
    (tmp_path / "ads").mkdir()
    (tmp_path / "ads" / "search.csv").write_text(one, "utf-8")
    (tmp_path / "ads" / "pmax.csv").write_text(two, "utf-8")
    rows = [r for text in (one, two) for r in csv.reader(io.StringIO(text)) if r[0][:3] == "202"]
    assert sum(float(r[4]) for r in rows) == 75.00  # the account's, by hand
    frame = fetch(connector(tmp_path, "ads/*.csv"), "ad_spend", "clicks")
    assert frame.values["ad_spend"].sum() == pytest.approx(75.00)
    assert frame.values["clicks"].sum() == sum(int(r[3]) for r in rows)
    (tmp_path / "ads" / "pmax.csv").write_text(two.replace("45.00", "40.00"), "utf-8")
    with pytest.raises(KpiError, match=r"add up to 70\.00 in column `Cost` .* 75\.00, 5\.00 more"):
        fetch(connector(tmp_path, "ads/*.csv"), "ad_spend")
