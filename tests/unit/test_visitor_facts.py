"""Device, location and visit boundaries from a page view."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.services import visitor_facts

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"
)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "agent, os, browser, platform",
    [
        (IPHONE, "iOS 17.4", "Mobile Safari 17.4", "mobile"),
        (WINDOWS_CHROME, "Windows 10", "Chrome 124.0.0", "desktop"),
        (IPAD, "iOS 16.6", "Mobile Safari 16.6", "mobile"),
    ],
)
def test_the_user_agent_gives_os_browser_and_platform(agent, os, browser, platform):
    device = visitor_facts.device_of(agent)

    assert (device["os"], device["browser"], device["platform"]) == (os, browser, platform)
    assert device["user_agent"] == agent


def test_an_unknown_or_missing_user_agent_says_so():
    assert visitor_facts.device_of(None) == {}
    assert visitor_facts.device_of("   ") == {}
    odd = visitor_facts.device_of("curl/8.0")
    assert odd["platform"] == "desktop" and odd["os"] == "Other"
    assert len(visitor_facts.device_of("x" * 5000)["user_agent"]) == 512


def test_location_comes_from_cloudfront_and_local_headers_only_when_trusted():
    cloudfront = {"cloudfront-viewer-country": "de", "cloudfront-viewer-city": "M%C3%BCnchen"}
    local = {"x-local-viewer-country": "FR", "x-local-viewer-city": "Lyon"}

    assert visitor_facts.location_of(cloudfront) == {"country": "DE", "city": "München"}
    assert visitor_facts.location_of(local) == {}
    assert visitor_facts.location_of(local, trust_local_headers=True) == {
        "country": "FR",
        "city": "Lyon",
    }
    assert visitor_facts.location_of({"cloudfront-viewer-country": "XYZ"}) == {}
    assert visitor_facts.location_of({"cloudfront-viewer-city": "%0A"}) == {}


@pytest.mark.parametrize(
    "last_seen, new_visit",
    [
        (None, True),
        (NOW - timedelta(minutes=29, seconds=59), False),
        (NOW - timedelta(minutes=30), True),
        (NOW - timedelta(days=3), True),
    ],
)
def test_a_visit_ends_after_thirty_minutes_without_activity(last_seen, new_visit):
    assert visitor_facts.starts_a_visit(last_seen, NOW) is new_visit


@pytest.mark.parametrize(
    "referrer, page, external",
    [
        ("https://www.google.com/search?q=tea", "https://shop.example/tea", True),
        ("https://shop.example/", "https://shop.example/tea", False),
        ("", "https://shop.example/tea", False),
        ("http://[bad", "https://shop.example/", False),
    ],
)
def test_only_another_sites_referrer_is_a_visits_source(referrer, page, external):
    assert visitor_facts.is_external(referrer, page) is external


def test_a_visitors_default_name_has_six_hex_digits_of_its_id():
    from chalicelib.services.visitors import display_name

    assert display_name("v_0123456789abcdef0123") == "Visitor EF0123"
