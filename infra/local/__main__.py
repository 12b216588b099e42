"""Run the whole platform locally on a stand-in for AWS: ``python -m infra.local``.

Starts moto (DynamoDB, Cognito), creates the tables and the user pool, seeds a demo
project with an operator login, then serves the REST API, the WebSocket API, the widget
and panel, and a demo website, and prints where they are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import pathlib
import signal
import sys
import threading

from aiohttp import web

from infra.local import aws
from infra.local.ports import Ports

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-pass-2026"


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", 8000)),
        help="base port; the stack uses this one and the next seven (default 8000, or $PORT)",
    )
    return parser.parse_args(argv)


def _seed_demo(now, ports: Ports):
    """A demo account: operator login plus its first project (through the real sign-up),
    with the demo website's origin allowed."""
    from chalicelib import deps
    from chalicelib.config import get_settings
    from chalicelib.models.base import transaction_connection
    from chalicelib.services import accounts

    settings = get_settings()
    result = accounts.sign_up(
        deps.cognito(),
        settings.user_pool_client_id,
        settings.user_pool_id,
        True,
        transaction_connection(),
        email=DEMO_EMAIL,
        password=DEMO_PASSWORD,
        name="Demo Operator",
        project_name="Acme Outdoor",
        now=now,
        allowed_domains=[f"{ports.host}:{ports.demo_site}", f"localhost:{ports.demo_site}"],
    )
    return result["project"]["id"]


def _serve_fake_stripe(ports: Ports, api_url: str):
    """Billing's TEST MODE: the fake Stripe answers the SDK, shows a checkout page whose
    Pay button sends signed webhooks to the app, as Stripe would."""
    from chalicelib import plans
    from chalicelib.config import get_settings
    from infra.local.fake_stripe import FakeStripe
    from infra.local.fake_stripe_server import serve

    backend = FakeStripe.for_catalogue(plans.catalogue(), pages_base=ports.url(ports.stripe))
    secret = get_settings().stripe_webhook_secret
    return serve(backend, ports.host, ports.stripe, f"{api_url}/billing/webhook", secret)


def _serve_fake_messengers(ports: Ports):
    """The fake Telegram Bot API and Graph API, with the page where a newcomer makes a
    bot or a Page and writes as a customer (infra/local/fake_messengers.py)."""
    from infra.local.fake_messengers import FakeMessengers
    from infra.local.fake_messengers_server import serve

    return serve(FakeMessengers(ports.url(ports.messengers)), ports.host, ports.messengers)


def _serve_rest(app_object, ports: Ports):
    """Chalice's local server in a thread; returns its HTTP server (to shut it down)."""
    from chalice.cli.factory import CLIFactory
    from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

    from infra.local import rate_limiter

    config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name="dev")
    # What AWS WAF does in front of the REST API: per-address limits on the widget's calls.
    handler = rate_limiter.limited_handler(rate_limiter.from_environment())
    # What chalice.local.create_local_server does, with our handler in front.
    CustomLocalChalice.__bases__ = (LocalChalice, app_object.__class__)
    app_object.__class__ = CustomLocalChalice
    server = LocalDevServer(app_object, config, ports.host, ports.api, handler_cls=handler)
    threading.Thread(target=server.server.serve_forever, daemon=True, name="rest").start()
    return server.server


class _Stopped(BaseException):
    """SIGTERM or SIGINT arrived while the stack was still starting."""


def _stop_while_starting(signum, frame):
    raise _Stopped(signum)


def _shut(server) -> None:
    """Stop a socketserver-style server and free its port (both steps: shutdown() alone
    leaves the listening socket bound)."""
    try:
        server.shutdown()
        server.server_close()
    except Exception:  # noqa: BLE001 - stopping: one stuck server must not keep the rest up
        logging.getLogger(__name__).exception("could not stop %r", server)


def _serve_fake_push(ports: Ports, api_url: str):
    """The fake push service and its page (infra/local/fake_push_server.py)."""
    from infra.local.fake_push import FakePushService
    from infra.local.fake_push_server import serve

    service = FakePushService(ports.url(ports.push))
    login = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    return serve(service, ports.host, ports.push, api_url, login)


async def _serve_async(ports: Ports, project_id: str) -> None:
    # From here the loop handles SIGINT and SIGTERM alike: a clean stop.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    import app as traffic
    from infra.local import clock, inbound_mail, mail_feedback, mailbox
    from infra.local.gateway import WebsocketGateway
    from infra.local.sites import cdn_routes, demo_site_routes, minify_widget

    await minify_widget()

    gateway = WebsocketGateway(
        traffic.websocket_connect,
        traffic.websocket_message,
        traffic.websocket_disconnect,
        ports.host,
        ports.websocket,
    )
    api_url, ws_url = ports.url(ports.api), ports.url(ports.websocket, "ws")
    cdn_url = ports.url(ports.cdn)
    # The clock app's schedules, as EventBridge would run them (infra/local/clock.py).
    timer = clock.Clock(clock.load_clock_app(), aws.REGION)
    sites = [
        (gateway.routes(), ports.websocket),
        (
            cdn_routes(
                api_url,
                ws_url,
                ports.url(ports.moto),
                widget_url=f"{cdn_url}/widget/loader.js",
                local_mailbox=f"{cdn_url}/local-mailbox/",
                local_push=ports.url(ports.push),
            )
            + mailbox.routes()
            + inbound_mail.routes(traffic.receive_email)  # "reply as the visitor"
            + mail_feedback.routes(traffic.mail_feedback)  # "bounce" / "complain"
            + clock.routes(timer, f"{cdn_url}/local-mailbox/"),
            ports.cdn,
        ),
        (demo_site_routes(project_id, api_url, cdn_url), ports.demo_site),
    ]
    runners = []
    for routes, port in sites:
        application = web.Application()
        application.add_routes(routes)
        # A short grace on stop: open sockets are closed first, nothing should wait long.
        runner = web.AppRunner(application, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, ports.host, port).start()
        runners.append(runner)

    stripe_server = _serve_fake_stripe(ports, api_url)
    push_server = _serve_fake_push(ports, api_url)
    messengers_server = _serve_fake_messengers(ports)  # Telegram and Messenger channels
    timer.start()
    info = {
        "push": ports.url(ports.push),
        "messengers": ports.url(ports.messengers),
        "stripe_test_mode": ports.url(ports.stripe),
        "demo_site": ports.url(ports.demo_site),
        "panel": f"{cdn_url}/panel/",
        "mailbox": f"{cdn_url}/local-mailbox/",
        "clock": f"{cdn_url}/local-clock/",
        "api": api_url,
        "websocket": ws_url,
        "moto": ports.url(ports.moto),
        "login": {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
        "project_id": project_id,
    }
    print(
        "\nLive chat is running locally (no AWS account needed).\n"
        f"  Demo website (visitor): {info['demo_site']}\n"
        f"  Operator panel:         {info['panel']}\n"
        f"    log in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n"
        f"  Local mailbox (every e-mail; none leaves this machine): {info['mailbox']}\n"
        f"  Clock (the scheduled jobs; run one now): {info['clock']}\n"
        f"  Fake push service (test devices, every push decrypted): {info['push']}\n"
        f"  REST API:               {api_url}\n"
        f"  WebSocket API:          {ws_url}\n"
        f"  moto (DynamoDB, Cognito, S3, SES): {info['moto']}\n"
        f"  Billing: TEST MODE, fake Stripe at {info['stripe_test_mode']} (nobody pays)\n"
        f"  Fake Telegram and Messenger (be the customer): {info['messengers']}\n"
        "Press Ctrl+C to stop.",
        flush=True,
    )
    print("READY " + json.dumps(info), flush=True)
    try:
        await stop.wait()
    finally:
        # Close the browsers' sockets ourselves: a runner's cleanup would otherwise wait
        # for every open WebSocket handler (a panel left open kept `make dev` up).
        # (At most a second for their close handshakes: a client may never answer.)
        closing = [
            asyncio.ensure_future(socket.close(code=1001, message=b"server stopping"))
            for socket in list(gateway.sockets.values())
        ]
        if closing:
            await asyncio.wait(closing, timeout=1.0)
        # No job starts after this; one under way finishes (its frames need the gateway).
        await asyncio.get_running_loop().run_in_executor(None, timer.stop)
        for runner in runners:
            await runner.cleanup()
        _shut(stripe_server)
        _shut(push_server)
        _shut(messengers_server)


def main(argv=None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
    ports = Ports(args.port)
    sys.path.insert(0, str(ROOT))
    # SIGTERM (make, a supervisor, the tests) stops the stack as Ctrl+C does, also while
    # it is still starting; either way everything started is stopped and the exit is 0.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop_while_starting)

    aws.use_local_credentials()
    moto_server = rest_server = poller = channel_poller = None
    try:
        moto_server = aws.start_moto(ports)
        pool_id, client_id = aws.create_user_pool(ports.url(ports.moto))
        aws.configure_environment(ports, pool_id, client_id)
        aws.create_attachments_bucket(ports.url(ports.moto))
        aws.verify_mail_sender(ports.url(ports.moto))
        from infra.local import push_queue

        queue_url, queue_arn = push_queue.configure(ports, aws.REGION, aws.LOCAL_MAIL_FROM)
        # Replies to Telegram/Messenger chats: their queue (the sender polls it below).
        from infra.local import channel_queue

        channel_url, channel_arn = channel_queue.configure(ports, aws.REGION)
        # Replies by e-mail: the inbound bucket in moto, the reply tokens' key.
        from infra.local import inbound_mail

        inbound_mail.configure(ports)

        # Only now may the app's modules load: they read the environment set above.
        import app as traffic
        from chalicelib.clock import utcnow
        from chalicelib.models import create_all_tables

        create_all_tables()
        project_id = _seed_demo(utcnow(), ports)
        # From now on sign-ups get an e-mailed code, kept in the local mailbox (the demo
        # account above is confirmed as an administrator would confirm it).
        from infra.local import mailbox

        mailbox.install()
        rest_server = _serve_rest(traffic.app, ports)
        # What Lambda's SQS event source does: the queued push events to the notifier.
        poller = push_queue.Poller(
            traffic.push_notifier, ports.url(ports.moto), aws.REGION, queue_url, queue_arn
        ).start()
        channel_poller = channel_queue.poller(
            traffic.channel_sender, ports, aws.REGION, channel_url, channel_arn
        ).start()
        asyncio.run(_serve_async(ports, project_id))
    except _Stopped:
        pass
    finally:
        # Ignore further signals while stopping: a second Ctrl+C must not leave moto up.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
        for running in (poller, channel_poller):
            if running is not None:
                running.stop()
        if rest_server is not None:
            _shut(rest_server)
        if moto_server is not None:
            moto_server.stop()
    print("Live chat stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
