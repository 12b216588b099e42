"""Which websites may run a project's widget.

A project id is public (it sits in the page source of every site with the widget), so
every widget call proves where it comes from: the browser's ``Origin`` header (the
``Referer``'s origin where a browser sends no Origin) must match one of the project's
allowed domains. A script can forge the header; that is what counting on real activity
(services/visitors.py) and the per-address rate limits (WAF in AWS, infra/local's limiter)
are for. This check stops the cheap attack: a foreign page or a script that does not
bother, and it is what makes the panel's "installed?" and "refused calls" honest.

The session call checks the origin against the project's list (it reads the project
anyway) and binds the token it issues to that origin; later calls with the token only
compare the header with the token's origin, so a heartbeat still costs no read.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.auth.identities import VisitorIdentity
from chalicelib.clock import iso
from chalicelib.errors import BadRequest, Forbidden
from chalicelib.models.base import is_condition_failure
from chalicelib.models.origin_refusal import OriginRefusalModel, refusal_key
from chalicelib.models.project import ProjectModel
from chalicelib.services import permissions

MAX_DOMAINS = 50
MAX_ORIGIN_CHARS = 200
REFUSALS_KEPT = timedelta(days=31)
REFUSAL_DAYS_SHOWN = 7
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
NO_ORIGIN = "(no origin)"


# --- the owner's list -------------------------------------------------------------------


def normalize_domain(entry) -> str:
    """One allowed-domain entry as stored: a host name (IDNA), optionally ``*.`` before it
    (the domain and all its subdomains) and ``:port`` after it (that port only; without
    one, any port). A pasted address (``https://shop.example.com/cart``) keeps its host."""
    if not isinstance(entry, str) or not entry.strip():
        raise BadRequest("Each allowed domain must be a host name such as shop.example.com")
    text = entry.strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.split("/", 1)[0].rsplit("@", 1)[-1]
    wildcard = text.startswith("*.")
    host, port = _split_port(text[2:] if wildcard else text, entry)
    host = _valid_host(host, entry)
    if wildcard and _is_ip(host):
        raise BadRequest(f"In {entry!r}, a wildcard goes before a domain name, not an address")
    return ("*." if wildcard else "") + host + (f":{port}" if port else "")


def normalize_domains(value) -> list[str]:
    if not isinstance(value, list):
        raise BadRequest("'allowed_domains' must be a list of host names")
    if len(value) > MAX_DOMAINS:
        raise BadRequest(f"'allowed_domains' takes at most {MAX_DOMAINS} entries")
    normalized: list[str] = []
    for entry in value:
        domain = normalize_domain(entry)
        if domain not in normalized:
            normalized.append(domain)
    return normalized


def signup_domains(body: dict) -> list[str]:
    """The optional ``domain`` (one entry) or ``allowed_domains`` of a sign-up or a new
    project."""
    if body.get("domain") not in (None, ""):
        return [normalize_domain(body["domain"])]
    if body.get("allowed_domains") is not None:
        return normalize_domains(body["allowed_domains"])
    return []


def _split_port(text: str, entry: str) -> tuple[str, int | None]:
    host, colon, port = text.rpartition(":")
    if not colon:
        return text, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BadRequest(f"In {entry!r}, the port must be a number from 1 to 65535")
    return host, int(port)


def _valid_host(host: str, entry: str) -> str:
    if _is_ip(host):
        return host
    try:
        host = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise BadRequest(f"The domain {entry!r} is not a valid domain name") from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise BadRequest(f"The domain {entry!r} is not a valid domain name")
    if len(labels) == 1 and host != "localhost":
        raise BadRequest(f"For {entry!r}, give the whole domain, such as {host}.com")
    return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return False


# --- a request's origin -----------------------------------------------------------------


def _header(headers, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return value if isinstance(value, str) else None


def origin_of(headers) -> str | None:
    """``scheme://host[:port]`` of the page that made the call, or None (no header, a
    sandboxed frame's "null", or not a web page)."""
    raw = _header(headers, "origin")
    if not raw or raw == "null":
        raw = _header(headers, "referer")
    if not raw:
        return None
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    port_text = f":{port}" if port and port != _DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port_text}"[:MAX_ORIGIN_CHARS]


def _unreadable(headers) -> str | None:
    """What the owner is shown for a header no browser would send (a script's forgery):
    its first characters, marked, rather than nothing."""
    raw = _header(headers, "origin") or _header(headers, "referer")
    if not raw or raw == "null":
        return None
    printable = "".join(c for c in raw if c.isprintable())[:100]
    return f"(unreadable) {printable}"


def matches(origin: str | None, domains) -> bool:
    if not origin:
        return False
    parts = urlsplit(origin)
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    for domain in domains or ():
        pattern, _, wanted_port = domain.partition(":")
        if wanted_port and int(wanted_port) != port:
            continue
        if pattern.startswith("*."):
            base = pattern[2:]
            if host == base or host.endswith("." + base):
                return True
        elif host == pattern:
            return True
    return False


# --- the checks -------------------------------------------------------------------------


def require_allowed(project: ProjectModel, headers, now: datetime) -> str:
    """The calling page's origin if the project allows it; else the refusal is counted
    for the panel and Forbidden raised (nothing else is written)."""
    origin = origin_of(headers)
    if matches(origin, project.allowed_domains):
        return origin
    record_refusal(project.project_id, origin or _unreadable(headers), now)
    raise _refusal(origin, bool(project.allowed_domains))


def require_token_origin(identity: VisitorIdentity, headers, now: datetime) -> None:
    """A call with a visitor token comes from the page the token was issued to."""
    origin = origin_of(headers)
    if identity.origin is not None:
        if origin == identity.origin:
            return
        record_refusal(identity.project_id, origin or _unreadable(headers), now)
        raise _refusal(origin, True)
    # A token from before tokens named their origin: check the project's list.
    try:
        project = ProjectModel.get(identity.project_id)
    except DoesNotExist:
        raise Forbidden("This project no longer exists") from None
    require_allowed(project, headers, now)


def _refusal(origin: str | None, has_domains: bool) -> Forbidden:
    where = f"This page ({origin})" if origin else "A page that did not say its origin"
    if not has_domains:
        message = (
            "This project has no allowed website domains yet, so the chat widget runs "
            "nowhere: the site owner can add theirs in the panel (Install)."
        )
    else:
        message = (
            f"{where} is not among this project's allowed website domains: the site owner "
            "can add it in the panel (Install)."
        )
    return Forbidden(message, reason="origin_not_allowed", origin=origin)


def record_refusal(project_id: str, origin: str | None, now: datetime) -> None:
    """One UpdateItem per refused call (no read); the WAF rate limit bounds the writes."""
    OriginRefusalModel(project_id, refusal_key(now.date().isoformat(), origin or NO_ORIGIN)).update(
        actions=[
            OriginRefusalModel.refused.add(1),
            OriginRefusalModel.last_at.set(iso(now)),
            OriginRefusalModel.expires_at.set(now + REFUSALS_KEPT),
        ]
    )


def mark_installed(project: ProjectModel, origin: str, now: datetime) -> None:
    """The first page view from an allowed domain: one conditional write, ever."""
    if project.installed_at is not None:
        return
    try:
        project.update(
            actions=[
                ProjectModel.installed_at.set(now),
                ProjectModel.installed_origin.set(origin),
            ],
            condition=ProjectModel.installed_at.does_not_exist(),
        )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise


def refusals_by_day(project_id: str, now: datetime) -> list[dict]:
    """The last week's refused calls, newest day first, origins by count."""
    first = (now - timedelta(days=REFUSAL_DAYS_SHOWN - 1)).date().isoformat()
    days: dict[str, dict] = {}
    for item in OriginRefusalModel.query(
        project_id, OriginRefusalModel.day_origin >= first, scan_index_forward=False
    ):
        day, _, origin = item.day_origin.partition("#")
        entry = days.setdefault(day, {"day": day, "refused": 0, "origins": []})
        entry["refused"] += int(item.refused or 0)
        entry["origins"].append(
            {"origin": origin, "refused": int(item.refused or 0), "last_at": item.last_at}
        )
    for entry in days.values():
        entry["origins"].sort(key=lambda o: -o["refused"])
    return list(days.values())


def install_status(member, now: datetime) -> dict:
    """What the panel's Install page shows (every member may look)."""
    permissions.require(member, "project.view")
    try:
        project = ProjectModel.get(member.project_id)
    except DoesNotExist:
        raise Forbidden("not a member of this project") from None
    return {
        "allowed_domains": list(project.allowed_domains or []),
        "installed": {
            "at": iso(project.installed_at) if project.installed_at else None,
            "origin": project.installed_origin,
        },
        "refused_by_day": refusals_by_day(project.project_id, now),
    }
