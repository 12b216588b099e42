"""Targeting rules: time to evaluate 100 auto messages of 10 conditions each against one
visitor's facts, on the server (Python, timeit) and in the widget (widget/rules.js in
headless Chromium, performance.now over many iterations), and the gzipped size of
widget/rules.js, both as served (minified by infra/widget_build). Every condition holds, so none is skipped by short-circuiting."""

import gzip
import os
import shutil
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chalicelib.targeting import compile_rules, evaluate_many, server_pass  # noqa: E402
from infra.widget_build import served  # noqa: E402

RULES_JS_BUDGET = 1536
MESSAGES, CONDITIONS = 100, 10
NOW = 1_700_000_000_000
FACTS = {
    "country": "DE",
    "city": "Berlin",
    "browser_language": "de-DE",
    "page_url": "https://shop.example/pricing?plan=pro",
    "referrer_url": "https://www.google.com/search?q=live+chat",
    "source_url": "https://news.example/review",
    "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0",
    "platform": "desktop",
    "utm_campaign": "spring_sale",
    "utm_medium": "cpc",
    "utm_source": "google",
    "page_views": 4,
    "visits": 3,
    "invitations_sent": 1,
    "chat_history": False,
    "widget_open": False,
    "page_opened_at": NOW - 42_000,
    "visit_started_at": NOW - 300_000,
    "last_invitation_at": NOW - 900_000,
}


# Ten conditions that hold for FACTS; message n varies the numbers so no two are equal.
def _message_rules(n: int) -> dict:
    return {
        "all": [
            {"field": "country", "op": "equals", "value": "de"},
            {"field": "browser_language", "op": "equals", "value": "de"},
            {"field": "page_url", "op": "contains", "value": "/pricing"},
            {"field": "user_agent", "op": "not_contains", "value": "bot"},
            {"field": "platform", "op": "equals", "value": "desktop"},
            {"field": "utm_medium", "op": "is_not", "value": "email"},
            {"field": "page_views", "op": "greater", "value": n % 4},
            {"field": "widget_open", "op": "is", "value": False},
            {"field": "time_on_page", "op": "greater", "value": n % 40},
            {"field": "time_since_last_invitation", "op": "greater", "value": 60 + n},
        ],
        "any_groups": [],
    }


ALL_RULES = [_message_rules(n) for n in range(MESSAGES)]
assert all(len(r["all"]) == CONDITIONS for r in ALL_RULES)

BROWSER_LOOP = """([rules, facts, now, iterations]) => {
  const R = window.__lcWidget.rules;
  let fired = 0;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const values = R.values(facts, now);
    for (const r of rules) if (R.matches(r, values)) fired++;
  }
  const shared = (performance.now() - t0) / iterations;
  const t1 = performance.now();
  for (let i = 0; i < iterations; i++) {
    for (const r of rules) if (R.evaluate(r, facts, now)) fired++;
  }
  const each = (performance.now() - t1) / iterations;
  return {shared, each, fired};
}"""


def python_timings() -> dict:
    compiled = [compile_rules(rules) for rules in ALL_RULES]
    assert all(evaluate_many(compiled, FACTS, NOW)), "the bench rules must all hold"
    timer = timeit.Timer(lambda: evaluate_many(compiled, FACTS, NOW))
    number, _ = timer.autorange()
    evaluate_s = min(timer.repeat(repeat=5, number=number)) / number
    server = timeit.Timer(lambda: server_pass(compiled, FACTS))
    number, _ = server.autorange()
    verdict_s = min(server.repeat(repeat=5, number=number)) / number
    compile_s = min(timeit.repeat(lambda: compile_rules(ALL_RULES[0]), number=200, repeat=3)) / 200
    return {"evaluate_s": evaluate_s, "server_pass_s": verdict_s, "compile_one_s": compile_s}


def browser_timings(iterations: int = 2000) -> dict:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("Chromium is not installed: `make browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_content("<!doctype html><title>bench</title>")
        page.evaluate("window.__lcWidget = {}")
        page.add_script_tag(content=served("rules.js").decode())
        page.evaluate(BROWSER_LOOP, [ALL_RULES, FACTS, NOW, 200])  # warm up the JIT
        result = page.evaluate(BROWSER_LOOP, [ALL_RULES, FACTS, NOW, iterations])
        browser.close()
    assert result["fired"] == 2 * MESSAGES * iterations, "the bench rules must all hold"
    return {"shared_ms": result["shared"], "each_ms": result["each"]}


def main():
    size = len(gzip.compress(served("rules.js"), compresslevel=9))
    py = python_timings()
    js = browser_timings()
    print(f"Targeting rules ({MESSAGES} auto messages x {CONDITIONS} conditions, one visitor)")
    print(f"  widget/rules.js        {size:>6} B gz  (aim {RULES_JS_BUDGET})")
    print(
        f"  server, evaluate       {py['evaluate_s'] * 1e6:>8.1f} us for all {MESSAGES}"
        f" (facts read once; {py['evaluate_s'] * 1e9 / (MESSAGES * CONDITIONS):.0f} ns a condition)"
    )
    print(f"  server, 3-valued pass  {py['server_pass_s'] * 1e6:>8.1f} us for all {MESSAGES}")
    print(f"  server, validate+compile one rule set  {py['compile_one_s'] * 1e6:.1f} us")
    print(
        f"  widget, evaluate       {js['shared_ms'] * 1e3:>8.1f} us for all {MESSAGES} (facts read once)"
    )
    print(
        f"  widget, evaluate()     {js['each_ms'] * 1e3:>8.1f} us for all {MESSAGES} (facts read per message)"
    )
    return {"rules_js_gz": size, **py, **js}


if __name__ == "__main__":
    main()
