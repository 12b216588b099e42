"""Print every figure the budgets in DESIGN.md ask for: ``make bench``."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import (  # noqa: E402
    auto_close_cost,
    auto_messages_page_view,
    channel_reply_cost,
    channel_webhook,
    cold_start,
    heartbeat_cadence,
    message_cost,
    page_view_cost,
    panel_load,
    push_cost,
    push_latency,
    reply_cost,
    rules_eval,
    widget_size,
)

if __name__ == "__main__":
    widget_size.main()
    print()
    message_cost.main()
    print()
    auto_close_cost.main()
    print()
    page_view_cost.main()
    print()
    reply_cost.main()
    print()
    heartbeat_cadence.main()
    print()
    cold_start.main()
    print()
    rules_eval.main()
    print()
    auto_messages_page_view.main()
    print()
    push_cost.main()
    print()
    push_latency.main()
    print()
    channel_webhook.main()
    print()
    channel_reply_cost.main()
    print()
    panel_load.main()  # the local stack and Chromium
