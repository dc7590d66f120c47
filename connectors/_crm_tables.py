"""The `crm` connector's export profiles: each system's and object's column roles (the first
header present wins, any case), the markers that tell the exports apart, the stages each system
classes as won, lost or open, and the variables each object gives by which date.

HubSpot and Salesforce as they export, and `generic` deal and lead tables (another CRM, a
spreadsheet) with the usual English headers. Data only (a module starting with `_` is not loaded
as a plugin); `crm.py` holds the logic.
"""

from __future__ import annotations

SYSTEMS = ("hubspot", "salesforce", "generic")
OBJECTS = ("deals", "contacts")
OBJECT_ALIASES = {"opportunities": "deals", "leads": "contacts"}
CLASSES = ("won", "lost", "open")
NONE = "(none)"  # the dimension value of rows whose source (campaign, ...) is empty

#: The day each record was last changed, the system's own stamp (`modified_date`): the export
#: was taken on or after the latest one (`_crm_span`). Never a last *activity* date: HubSpot and
#: Salesforce date it by a meeting or event still to come, a forecast.
MODIFIED = ("Last Modified Date",)
MODIFIED_GENERIC = (
    "Last Modified Date", "Last Modified", "Modified Date", "Date Modified", "Last Updated",
    "Updated At", "Update Time",
)  # fmt: skip
#: role -> the columns that play it in each export, the first one present wins (any case).
DEFAULT_COLUMNS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("hubspot", "deals"): {
        "stage": ("Deal Stage",),
        "amount": ("Amount in company currency", "Amount"),
        "close_date": ("Close Date",),
        "create_date": ("Create Date",),
        "source": ("Original Source Type", "Original Traffic Source", "Original Source"),
        "campaign": ("Campaign", "Campaign Name", "UTM Campaign"),
        "pipeline": ("Pipeline",),
        "currency": ("Currency", "Deal currency code"),
        "id": ("Record ID", "Deal ID"),  # one deal's id: the same deal in two files (`_crm_files`)
        "modified_date": MODIFIED,
    },
    ("hubspot", "contacts"): {
        "create_date": ("Create Date",),
        "lifecycle_stage": ("Lifecycle Stage",),
        "source": ("Original Source", "Original Traffic Source", "Original Source Type"),
        "campaign": ("Campaign", "Campaign Name", "UTM Campaign"),
        "became_lead_date": ("Became a Lead Date",),
        "became_mql_date": ("Became a Marketing Qualified Lead Date",),
        "became_sql_date": ("Became a Sales Qualified Lead Date",),
        "became_opportunity_date": ("Became an Opportunity Date",),
        "became_customer_date": ("Became a Customer Date",),
        "id": ("Record ID", "Contact ID"),
        "modified_date": MODIFIED,
    },
    ("salesforce", "deals"): {
        "stage": ("Stage",),
        "amount": ("Amount (converted)", "Amount"),
        "close_date": ("Close Date",),
        "create_date": ("Created Date", "Create Date"),
        "source": ("Lead Source",),
        "campaign": ("Primary Campaign Source", "Campaign Source", "Campaign"),
        "won": ("Won",),
        "closed": ("Closed",),
        # `Amount Currency`: a multi-currency org's export (the currency of each `Amount`)
        "currency": ("Opportunity Currency", "Currency", "Amount Currency"),
        "converted_currency": ("Amount (converted) Currency",),
        "id": ("Opportunity ID",),  # when exported (a report's column to add)
        "modified_date": MODIFIED,
    },
    ("salesforce", "contacts"): {
        "create_date": ("Create Date", "Created Date"),
        "lifecycle_stage": ("Lead Status",),
        "source": ("Lead Source",),
        "campaign": ("Campaign", "Primary Campaign Source"),
        # a lead report's `Converted Date` (when added): the day the lead became a customer,
        # as the generic profile reads it
        "became_customer_date": ("Converted Date",),
        "converted": ("Converted",),  # 1 | 0: a customer even when its date is empty
        "id": ("Lead ID",),
        "modified_date": MODIFIED,
    },
    # a deal or lead table of another CRM, or of a spreadsheet: the usual English names (no
    # default `id`: a spreadsheet's `ID` may number each file's rows from 1; `columns: {id: ..}`)
    ("generic", "deals"): {
        "stage": ("Stage", "Deal Stage", "Status", "Deal Status"),
        "amount": ("Amount", "Value", "Deal Value", "Revenue"),
        "close_date": ("Close Date", "Closed Date", "Closed At", "Won Date", "Closed"),
        "create_date": ("Create Date", "Created Date", "Created At", "Created", "Date"),
        "source": ("Source", "Lead Source", "Channel"),
        "campaign": ("Campaign", "Campaign Name"),
        "pipeline": ("Pipeline",),
        "currency": ("Currency",),
        "modified_date": MODIFIED_GENERIC,
    },
    ("generic", "contacts"): {
        "create_date": ("Create Date", "Created Date", "Created At", "Created", "Date"),
        "lifecycle_stage": ("Lifecycle Stage", "Status", "Lead Status"),
        "source": ("Source", "Lead Source", "Channel"),
        "campaign": ("Campaign", "Campaign Name"),
        "became_mql_date": ("MQL Date",),
        "became_sql_date": ("SQL Date",),
        "became_customer_date": ("Customer Date", "Converted Date", "Won Date"),
        "modified_date": MODIFIED_GENERIC,
    },
}
CONTACT_DATES = ("became_lead_date", "became_mql_date", "became_sql_date", "became_customer_date")
#: The lifecycle stages' dates in funnel order: a contact that reached a stage reached the ones
#: before it (`_crm_contacts`); HubSpot's opportunity date dates no variable of its own.
STAGE_DATES = (*CONTACT_DATES[:3], "became_opportunity_date", CONTACT_DATES[3])
#: Lifecycle stages (lower case) of a customer, whatever its customer date says (`_crm_contacts`).
#: HubSpot writes the stage's label in the UI's language: `Client` (French), `Kunde` (German),
#: `Cliente` (Spanish, Portuguese, Italian), `Klant` (Dutch), `顧客` (Japanese). Not
#: `Evangelist` (in any language): portals give it to advocates and partners who never bought,
#: so it proves no customer (one with a customer date is counted by that date, as any contact).
CUSTOMER_STAGES = ("customer", "closed - converted", "client", "kunde", "cliente", "klant", "顧客")
#: The roles the `columns:` option may set, per object (`date`: the date of `map:` variables).
ROLES = {
    "deals": sorted(
        {r for (_, o), t in DEFAULT_COLUMNS.items() if o == "deals" for r in t}
        | {"date", "status"}  # status: won | lost | open beside the stage (`_crm_outcome`)
    ),
    "contacts": sorted(
        {r for (_, o), t in DEFAULT_COLUMNS.items() if o == "contacts" for r in t}
        | {*STAGE_DATES, "churn_date", "date"}
    ),
}
#: Amount columns already converted to one currency: the `currency` column (of the amounts as
#: entered) then does not matter, the `converted_currency` one (when exported) must be the
#: workspace's.
CONVERTED_AMOUNTS = ("amount in company currency", "amount (converted)")

#: Headers that tell the exports apart (matched without case).
SYSTEM_MARKERS = {
    "hubspot": (
        "Record ID", "Deal Stage", "Deal Name", "Deal owner", "Pipeline", "Create Date",
        "Lifecycle Stage", "Contact owner", "Original Source", "Original Source Type",
        "Original Traffic Source", "Became a Lead Date", "Became a Customer Date",
    ),
    "salesforce": (
        "Opportunity Name", "Opportunity Owner", "Account Name", "Stage", "Created Date",
        "Lead Source", "Lead Status", "Lead Owner", "Converted", "Converted Date", "Won",
        "Closed", "Fiscal Period", "Probability (%)", "Age", "Company / Account",
    ),
}  # fmt: skip
OBJECT_MARKERS = {
    "deals": (
        "Deal Stage", "Deal Name", "Deal owner", "Opportunity Name", "Opportunity Owner",
        "Stage", "Amount", "Close Date", "Won", "Probability (%)",
    ),
    "contacts": (
        "Lifecycle Stage", "Email", "First Name", "Contact owner", "Lead Status", "Lead Owner",
        "Converted", "Became a Lead Date", "Became a Customer Date",
    ),
}  # fmt: skip

#: Deal stages by their exported label or internal id (lower case) -> won | lost | open.
STAGES = {
    "hubspot": {
        "appointment scheduled": "open",
        "appointmentscheduled": "open",
        "qualified to buy": "open",
        "qualifiedtobuy": "open",
        "presentation scheduled": "open",
        "presentationscheduled": "open",
        "decision maker bought-in": "open",
        "decisionmakerboughtin": "open",
        "contract sent": "open",
        "contractsent": "open",
        "closed won": "won",
        "closedwon": "won",
        "closed lost": "lost",
        "closedlost": "lost",
    },
    "salesforce": {
        "prospecting": "open",
        "qualification": "open",
        "needs analysis": "open",
        "value proposition": "open",
        "id. decision makers": "open",
        "perception analysis": "open",
        "proposal/price quote": "open",
        "negotiation/review": "open",
        "closed won": "won",
        "closed lost": "lost",
    },
    "generic": {
        "won": "won",
        "closed won": "won",
        "lost": "lost",
        "closed lost": "lost",
        "open": "open",
        "new": "open",
        "in progress": "open",
        "qualified": "open",
        "proposal": "open",
        "negotiation": "open",
    },
}

#: Derived variables -> the roles they need.
DEAL_VARIABLES = {
    "opportunities": ("create_date",),
    "sqos": ("create_date",),
    "deals_won": ("stage", "close_date"),
    "deals_won_with_amount": ("stage", "close_date", "amount"),
    "deals_lost": ("stage", "close_date"),
    "revenue": ("stage", "close_date", "amount"),
    "sales_cycle_days": ("stage", "close_date", "create_date"),
    "open_opportunities": ("stage", "create_date", "close_date"),  # a stock (`_crm_pipeline`)
}
CONTACT_VARIABLES = {
    "leads": ("lead_date",),  # the became-a-lead date, else the create date
    "mqls": ("became_mql_date",),
    "sqls": ("became_sql_date",),
    "new_customers": ("became_customer_date",),
    "churned_customers": ("became_customer_date", "churn_date"),
    "customers_at_start": ("became_customer_date",),
    "customers_at_end": ("became_customer_date",),
}
STOCKS = ("customers_at_start", "customers_at_end")
CLOSED = ("deals_won", "deals_won_with_amount", "deals_lost", "revenue", "sales_cycle_days")
DAY_ROLE = {
    "opportunities": "create_date",
    "sqos": "create_date",
    "deals_won": "close_date",
    "deals_won_with_amount": "close_date",
    "deals_lost": "close_date",
    "revenue": "close_date",
    "sales_cycle_days": "close_date",
    "leads": "lead_date",
    "mqls": "became_mql_date",
    "sqls": "became_sql_date",
    "new_customers": "became_customer_date",
    "churned_customers": "churn_date",
}

TRUE = ("1", "true", "yes", "y", "x")
FALSE = ("0", "false", "no", "n")
