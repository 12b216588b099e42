"""The traffic app: REST and WebSocket routes. A table of contents; the rules live in
chalicelib/services."""

from chalice import Chalice, CORSConfig

from chalicelib.routes import http, socket_routes
from chalicelib.routes.auth_routes import auth_routes
from chalicelib.routes.auto_message_routes import auto_message_routes
from chalicelib.routes.billing_routes import billing_routes
from chalicelib.routes.channel_reply_routes import (
    CHANNEL_BATCH_SIZE,
    CHANNEL_QUEUE_ARN,
    channel_reply_routes,
    send_from_queue,
)
from chalicelib.routes.channel_routes import channel_routes
from chalicelib.routes.mail_routes import (
    MAIL_FEEDBACK_TOPIC,
    mail_feedback,
    mail_routes,
    receive_email,
)
from chalicelib.routes.panel_routes import panel_routes
from chalicelib.routes.push_routes import PUSH_QUEUE_ARN, notify_from_queue, push_routes
from chalicelib.routes.reply_routes import reply_routes
from chalicelib.routes.team_routes import team_routes
from chalicelib.routes.visitor_routes import visitor_routes
from chalicelib.routes.widget_routes import widget_routes

app = Chalice(app_name="livechat")
app.experimental_feature_flags.update(["WEBSOCKETS"])
# Bearer tokens, never cookies, so any origin may call: customers' sites and the panel.
# Preflights are cached for 2 h (Chromium's ceiling) so the widget rarely pays for one.
app.api.cors = CORSConfig(allow_origin="*", max_age=7200)
# One error shape for every answer, Chalice's own 405/415 and unexpected errors included.
app.register_middleware(http.uniform_errors, "http")

app.register_blueprint(auth_routes)  # /auth/*, /me: operator accounts (Cognito)
app.register_blueprint(team_routes)  # /projects, /projects/{id}/members: projects, teams
app.register_blueprint(panel_routes)  # /projects/{id}/chats...: the operator inbox
app.register_blueprint(reply_routes)  # /projects/{id}/replies: saved replies
app.register_blueprint(widget_routes)  # /widget/*: visitor sessions and history
app.register_blueprint(visitor_routes)  # /projects/{id}/visitors/*: who is on the site
app.register_blueprint(billing_routes)  # /projects/{id}/billing*, /billing/webhook: plans
app.register_blueprint(auto_message_routes)  # /projects/{id}/auto-messages, /targeting/*
app.register_blueprint(push_routes)  # /push/key, /me/push-subscriptions: Web Push devices
app.register_blueprint(channel_routes)  # /projects/{id}/channels*, /channels/*: messengers
app.register_blueprint(channel_reply_routes)  # .../messages/{id}/retry: a failed channel reply
app.register_blueprint(mail_routes)  # /mail/unsubscribe; receive_email below: replies by mail
# S3 invokes it with each mail SES received (the template wires it: infra/inbound_mail.py).
receive_email = app.lambda_function(name="receive_email")(receive_email)
# SES's bounces and complaints, through SNS (infra/mail_feedback.py): stop mailing there.
mail_feedback = app.on_sns_message(topic=MAIL_FEEDBACK_TOPIC, name="mail_feedback")(mail_feedback)

# The WebSocket API: authenticate on $connect, one frame per $default, clean up.
websocket_connect = app.on_ws_connect()(socket_routes.websocket_connect)
websocket_message = app.on_ws_message()(socket_routes.websocket_message)
websocket_disconnect = app.on_ws_disconnect()(socket_routes.websocket_disconnect)

# Web Push: the message path queues one event after fan-out; this sends the pushes.
push_notifier = app.on_sqs_message(queue_arn=PUSH_QUEUE_ARN, name="push_notifier")(
    notify_from_queue
)

# Replies to Telegram/Messenger chats: queued by the message path, sent by this.
channel_sender = app.on_sqs_message(
    queue_arn=CHANNEL_QUEUE_ARN, batch_size=CHANNEL_BATCH_SIZE, name="channel_sender"
)(send_from_queue)
