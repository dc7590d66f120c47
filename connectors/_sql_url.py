"""Database URLs of the `sql` connector: environment variables, URL-encoding, redaction.

A workspace may come from someone else, so its `url:` reads only the environment variables named
in a documented form: libpq's `${PGPASSWORD}`, `${PGUSER}`, `${PGHOST}`, `${PGPORT}`,
`${PGDATABASE}`, and any `${KPI_...}` or `${KPIENGINE_...}` variable. A value substituted inside
a URL is URL-encoded (a password with `&`, `%` or `?` stays one password); a `url:` that is one
variable and nothing else holds a whole URL. Every substituted value, and the URL's password (or
a Spark Connect URL's `;token=`), is a secret: messages show it as `***`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from kpiengine.redaction import redact

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")  # RFC 3986 scheme

#: URL scheme -> the SQL dialect of the engine that runs the query.
SCHEMES = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "duckdb": "duckdb",
    "chdb": "clickhouse",
    "clickhouse": "clickhouse",
    "spark": "spark",
    "sc": "spark",
    "snowflake": "snowflake",
}
#: The URL forms, for the message about an unknown scheme.
URL_FORMS = (
    "postgresql://user@host:5432/db",
    "duckdb:///path.db (duckdb:// in memory)",
    "clickhouse://user@host:8123/db",
    "chdb://PATH (chdb:// in memory)",
    "spark:local[2]",
    "spark://HOST:7077",
    "sc://HOST:15002",
    "snowflake://user@account/database/schema",
)
ALLOWED_VARIABLES = (
    "PGPASSWORD",
    "PGUSER",
    "PGHOST",
    "PGPORT",
    "PGDATABASE",
    "CLICKHOUSE_PASSWORD",
    "SNOWFLAKE_PASSWORD",
)
ALLOWED_PREFIXES = ("KPI_", "KPIENGINE_")
DOCUMENTED = (
    "${PGPASSWORD}, ${PGUSER}, ${PGHOST}, ${PGPORT}, ${PGDATABASE}, ${CLICKHOUSE_PASSWORD}, "
    "${SNOWFLAKE_PASSWORD}, ${KPI_...}"
)
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class UrlError(ValueError):
    """A URL that cannot be used; the message never holds a secret."""


def allowed(name: str) -> bool:
    """True for the variable names a workspace's `url:` may read."""
    return name in ALLOWED_VARIABLES or (
        name.startswith(ALLOWED_PREFIXES) and re.fullmatch(r"[A-Z0-9_]+", name) is not None
    )


@dataclass
class DatabaseUrl:
    """A `url:` option expanded: the URL, its scheme and dialect, and the secrets it holds."""

    text: str
    dialect: str | None
    secrets: list[str] = field(default_factory=list)

    @classmethod
    def expand(cls, template: str) -> DatabaseUrl:
        """Substitute the documented `${NAME}` forms; UrlError for any other or an unset one."""
        secrets: list[str] = []
        whole = _VARIABLE.fullmatch(template.strip())

        def value(match: re.Match) -> str:
            name = match.group(1)
            if not allowed(name):
                raise UrlError(
                    f"`${{{name}}}` is not read: a database URL reads only {DOCUMENTED} "
                    "(so a workspace from someone else cannot read other environment variables)"
                )
            if name not in os.environ:
                raise UrlError(f"environment variable `{name}` is not set (used in `url:`)")
            raw = os.environ[name]
            encoded = raw if whole else quote(raw, safe="")
            secrets.extend([raw, encoded])
            return encoded

        text = _VARIABLE.sub(value, template)
        secrets += _url_secrets(text)
        # a list of hosts (spark://h1:7077,h2:7077) is no single URL host: Python versions
        # differ on how urlsplit reads it, and the Spark connector reads it itself
        if "," not in text.split("://", 1)[-1].split("/", 1)[0]:
            try:
                urlsplit(text)
            except ValueError as exc:  # e.g. an unclosed IPv6 bracket
                raise UrlError(f"the database URL is malformed ({exc})") from None
        return cls(text, SCHEMES.get(_scheme(text)), secrets)

    @property
    def scheme(self) -> str:
        return _scheme(self.text)

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def duckdb_path(self) -> str:
        """The file of `duckdb:///relative.db` or `duckdb:////absolute.db` (percent-decoded)."""
        rest = self.text.split("://", 1)[1] if "://" in self.text else self.text
        return unquote(rest[1:] if rest.startswith("/") else rest)

    def local_path(self) -> str | None:
        """The database file of `chdb://PATH` (None: in memory), percent-decoded."""
        rest = self.text.split("://", 1)[1] if "://" in self.text else ""
        return unquote(rest) or None

    def spark_master(self) -> tuple[str, str]:
        """("master", `local[N]` or `spark://HOST:PORT`) or ("remote", `sc://HOST:PORT`)."""
        if self.scheme == "sc":
            self.spark_servers()  # checked before Spark sees it
            return "remote", self.text
        if self.text.startswith("spark://"):
            self.spark_servers()
            return "master", self.text
        rest = self.text.split(":", 1)[1]
        if not re.fullmatch(r"local(\[(\d+|\*)\])?", rest):
            raise UrlError(
                f"a Spark URL is spark:local[N], spark://HOST:PORT or sc://HOST:PORT, not `{rest}`"
            )
        return "master", rest

    def spark_servers(self) -> list[tuple[str, int]]:
        """The (host, port) pairs of `sc://HOST:PORT/;params` (default port 15002) or of a
        standalone master `spark://HOST:PORT[,HOST:PORT...]` (default 7077).

        A master URL is only hosts and ports: Spark's JVM writes a master URL it rejects to
        the terminal itself, where no redaction reaches, so a user or password in it is refused
        here."""
        parts = self.text.split("://", 1)[1]
        remote = self.scheme == "sc"
        netloc, _, rest = parts.partition("/")
        if not remote and (rest or "@" in netloc or "?" in netloc):
            raise UrlError(
                "a standalone Spark master URL is spark://HOST:PORT (several masters: "
                "spark://HOST1:PORT1,HOST2:PORT2), with no user, password, path or query"
            )
        if remote and "@" in netloc:
            raise UrlError("a Spark Connect URL is sc://HOST:PORT/;token=...;user_id=...")
        servers = []
        for item in netloc.split(",") if not remote else [netloc]:
            bare = item.endswith("]") or ":" not in item  # no port ([IPv6] or a name)
            host, _, port = (item, "", "") if bare else item.rpartition(":")
            host = host.strip("[]")
            if not host or (port and not port.isdigit()):
                raise UrlError(
                    "a Spark URL names HOST:PORT (sc://HOST:15002, spark://HOST:7077), "
                    f"not `{item}`"
                )
            servers.append((host, int(port) if port else 15002 if remote else 7077))
        return servers

    def postgres_params(self) -> dict[str, str]:
        """libpq keywords (host, port, user, password, dbname and the query's), so libpq never
        sees the URL text and cannot echo it in an error."""
        try:
            parts = urlsplit(self.text)
            port = parts.port
        except ValueError as exc:
            raise UrlError(f"the database URL is malformed ({exc})") from None
        params: dict[str, str] = {}
        if parts.hostname:
            params["host"] = unquote(parts.hostname)
        if port is not None:
            params["port"] = str(port)
        if parts.username:
            params["user"] = unquote(parts.username)
        if parts.password is not None:
            params["password"] = unquote(parts.password)
        if parts.path.strip("/"):
            params["dbname"] = unquote(parts.path.lstrip("/"))
        for item in filter(None, parts.query.split("&")):
            key, _, value = item.partition("=")
            params[unquote(key)] = unquote(value)  # not `+` as a space: libpq does not
        return params


def _scheme(text: str) -> str:
    """`postgresql` of `postgresql+psycopg2://...`, read without parsing the hosts."""
    match = _SCHEME.match(text)
    return match.group(1).split("+")[0].lower() if match else ""


def _url_secrets(text: str) -> list[str]:
    """The password written in a URL (userinfo or `password=`), as written and decoded."""
    found: list[str] = []
    try:
        parts = urlsplit(text)
        if parts.password:
            found += [parts.password, unquote(parts.password)]
    except ValueError:
        match = re.search(r"://[^/@:]*:([^@/]*)@", text)  # still hide it in a malformed URL
        if match:
            found += [match.group(1), unquote(match.group(1))]
    for match in re.finditer(r"[?&]password=([^&#]*)", text):
        found += [match.group(1), unquote(match.group(1))]
    if text.lower().startswith("sc://"):  # Spark Connect: sc://HOST:PORT/;token=...;...
        for match in re.finditer(r";token=([^;]*)", text):
            found += [match.group(1), unquote(match.group(1))]
    return found
