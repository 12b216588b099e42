"""What the server learns about a visitor from a page view: the device (from the user
agent, parsed by the ``user-agents`` / ``ua-parser`` libraries), where they are (from the
CloudFront viewer headers), and whether this page view starts a new visit.

Pure functions: the session service turns their answers into its one UpdateItem.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

VISIT_GAP = timedelta(minutes=30)
MAX_USER_AGENT = 512

# CloudFront (in front of an edge-optimised API, or a distribution with an origin
# request policy) sets these from the viewer's IP address; a client cannot choose them.
COUNTRY_HEADER = "cloudfront-viewer-country"
CITY_HEADER = "cloudfront-viewer-city"
# The local stand-in has no CloudFront: with LOCAL_GEO_HEADERS on (never in AWS), a
# tester can say where the browser is.
LOCAL_COUNTRY_HEADER = "x-local-viewer-country"
LOCAL_CITY_HEADER = "x-local-viewer-city"


def device_of(user_agent: str | None) -> dict:
    """OS, browser and platform (desktop or mobile; tablets count as mobile) of a user
    agent. Parsing costs ~0.1 s the first time in a process (the library compiles its
    regular expressions), so it is imported here, on the first page view of a visit, and
    never by handlers that do not need it."""
    text = (user_agent or "").strip()[:MAX_USER_AGENT]
    if not text:
        return {}
    import user_agents  # noqa: PLC0415 - lazily: see above

    parsed = user_agents.parse(text)
    return {
        "user_agent": text,
        "os": _named(parsed.os.family, parsed.os.version_string),
        "browser": _named(parsed.browser.family, parsed.browser.version_string),
        "platform": "mobile" if parsed.is_mobile or parsed.is_tablet else "desktop",
    }


def _named(family: str, version: str) -> str:
    return f"{family} {version}".strip() if family and family != "Other" else "Other"


def location_of(headers, trust_local_headers: bool = False) -> dict:
    """Country (ISO 3166 alpha-2, upper case) and city of the viewer, when known."""
    country = headers.get(COUNTRY_HEADER)
    city = headers.get(CITY_HEADER)
    if trust_local_headers:
        country = headers.get(LOCAL_COUNTRY_HEADER) or country
        city = headers.get(LOCAL_CITY_HEADER) or city
    facts = {}
    if country and len(country.strip()) == 2 and country.strip().isalpha():
        facts["country"] = country.strip().upper()
    if city:
        # CloudFront percent-encodes non-ASCII city names.
        name = unquote(city).strip()[:100]
        if name and name.isprintable():
            facts["city"] = name
    return facts


def starts_a_visit(last_seen_at: datetime | None, now: datetime) -> bool:
    """A visit ends after 30 minutes without activity; coming back sooner is the same visit."""
    return last_seen_at is None or now - last_seen_at >= VISIT_GAP


def is_external(referrer: str | None, page_url: str | None) -> bool:
    """Whether a referrer is another site (a search engine, an ad, a link), as opposed to
    the site's own previous page: only an external one is a visit's source."""
    if not referrer:
        return False
    try:
        return urlsplit(referrer).hostname != urlsplit(page_url or "").hostname
    except ValueError:
        return False
