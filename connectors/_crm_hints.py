"""The `stages:` mapping the `crm` connector suggests for unknown deal stages (not a plugin module).

A stage is guessed won or lost only from a clear word in the main CRM languages (`Closed won`,
`Conclue gagnée`, `Cerrado perdido`, `Gewonnen`, `成交`, `输单`, `برنده` ...), marked as a guess to
check; any other stage, and one with words for both or a negation (`not won`, `未成交`), gets
`PLACEHOLDER`, which the `stages:` option refuses until it is replaced by won, lost or open: a
pasted suggestion never classes a won stage as open (nor an open one as won) silently.
"""

from __future__ import annotations

import json
import re
import unicodedata

#: What the suggestion writes for a stage to class by hand; refused as a class.
PLACEHOLDER = "won | lost | open"

# Whole words, lower case without accents (`gagnée` -> `gagnee`), of scripts with spaces.
_WON = re.compile(
    r"won|wins?|winning|signed|booked|sold|closed_?won|gagnee?s?|signee?s?|ganad[oa]s?|gano"
    r"|firmad[oa]s?|firmat[oaie]|ganh[oa]s?|assinad[oa]s?|gewonnen|unterschrieben|vint[oaie]"
    r"|vunne[nt]|vundet|voitettu|wygran[aey]|kazan[iı]ld[iı]|vyhran[aoy]|выигран[аоы]?"
)
_LOST = re.compile(
    r"lost|lose|loss|dead|disqualified|rejected|declined|cancell?ed|abandoned|closed_?lost"
    r"|perdue?s?|annulee?s?|abandonnee?s?|perdid[oa]s?|cancelad[oa]s?|verloren|abgesagt"
    r"|storniert|pers[oaie]|tabt|tapt|forlora[dt]|havitty|menetetty|przegran[aey]|utracon[aey]"
    r"|kaybedild[iı]|prohran[aoy]|ztracen[aoy]|проигран[аоы]?|потерян[аоы]?|отказ"
)
#: Words that make a guess unsure: a negation or a step still to come (`to be signed`).
_UNSURE = frozenset(
    ("not", "no", "non", "be", "pending", "awaiting", "waiting", "expected", "pas", "nicht",
     "kein", "keine", "nao", "niet", "sin", "senza", "bez", "attente", "espera", "ausstehend")
)  # fmt: skip
# Parts of words, in scripts written without spaces or with prefixes (CJK, Arabic, Persian);
# a lost word is taken out before won words are looked for (`ناموفق` holds `موفق`).
_WON_PARTS = ("成交", "赢", "贏", "签约", "簽約", "受注", "成約", "수주", "성사", "ربح", "فوز",
              "مكسوب", "برنده", "موفق")  # fmt: skip
_LOST_PARTS = ("输", "輸", "丢单", "丟單", "丢失", "丟失", "失败", "失敗", "流失", "失注",
               "실주", "실패", "خسار", "خاسر", "مفقود", "بازنده", "از دست رفته", "شکست",
               "ناموفق")  # fmt: skip
_UNSURE_PARTS = ("未", "不", "没", "沒", "非", "待", "غير")


def _words(stage: str) -> list[str]:
    bare = "".join(c for c in unicodedata.normalize("NFKD", stage) if not unicodedata.combining(c))
    return re.findall(r"\w+", bare.casefold())


def guess(stage: str) -> str | None:
    """won or lost when the stage's name says so clearly, else None."""
    text = unicodedata.normalize("NFKC", stage).casefold()
    words = _words(stage)
    lost = any(_LOST.fullmatch(w) for w in words)
    for part in sorted(_LOST_PARTS, key=len, reverse=True):
        if part in text:
            lost, text = True, text.replace(part, " ")
    won = any(_WON.fullmatch(w) for w in words) or any(p in text for p in _WON_PARTS)
    unsure = any(w in _UNSURE for w in words) or any(p in text for p in _UNSURE_PARTS)
    if won == lost or unsure:
        return None
    return "won" if won else "lost"


def suggestion(stages: list[str]) -> str:
    """The `stages:` mapping of kpi.yaml for `stages`: guesses marked, the others to class."""
    lines = []
    for stage in stages:
        klass = guess(stage)
        note = "guessed from its name: check it" if klass else "choose one"
        lines.append(
            f"      {json.dumps(stage, ensure_ascii=False)}: {klass or PLACEHOLDER}  # {note}"
        )
    return "    stages:\n" + "\n".join(lines)
