#!/usr/bin/env bash
# Deploy the live-chat platform into the AWS account of the current credentials.
#
#   ARTIFACT_BUCKET=my-livechat-artifacts STAGE=dev infra/deploy.sh     (or: make deploy)
#
# What it does, in order (nothing is deployed until both apps have packaged):
#   1. python -m infra.template     merge templates for both apps      -> $BUILD_DIR
#   2. chalice package              SAM template + deployment.zip per app, merged
#   3. aws cloudformation package   uploads the zips to $ARTIFACT_BUCKET
#   4. aws cloudformation deploy    stack livechat-$STAGE (tables, Cognito, APIs, CDN...)
#                                   then livechat-$STAGE-scheduled (the clock app)
#   5. aws s3 sync                  widget/ and panel/ to the static bucket, plus
#                                   panel/config.json with this stack's API URLs,
#                                   and a CloudFront invalidation so edges serve them
#   6. prints the panel URL, the API URLs and the widget's <script> tag
#
# Environment:
#   ARTIFACT_BUCKET  required. S3 bucket (in the target region) for Lambda packages and
#                    the large template; created private if it does not exist.
#   STAGE            deployment name: stacks livechat-$STAGE[-scheduled] (default dev).
#   CHALICE_STAGE    Chalice stage whose settings are used (default $STAGE); it must be
#                    in .chalice/config.json and scheduled/.chalice/config.json, each
#                    with its .chalice/policy-<stage>.json ("dev" and "prod" exist;
#                    another stage needs adding to both apps' .chalice/ first).
#   AWS_REGION       target region (default: AWS_DEFAULT_REGION, else the CLI's config).
#   TABLE_PREFIX     DynamoDB table name prefix (default livechat-$STAGE-).
#   BUILD_DIR        working directory (default build/deploy-$STAGE).
#   PYTHON           interpreter with requirements-dev.txt installed (default python;
#                    `make deploy` puts .venv/bin first on PATH).
#
# Needs AWS CLI v2 with credentials allowed to create the resources listed in
# infra/README.md, and chalice on PATH. Safe to rerun: unchanged stacks are skipped.

set -euo pipefail

log() { printf '\n==> %s\n' "$*" >&2; }
die() {
	printf 'deploy.sh: %s\n' "$*" >&2
	exit 1
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STAGE="${STAGE:-dev}"
CHALICE_STAGE="${CHALICE_STAGE:-$STAGE}"
STACK="livechat-${STAGE}"
SCHEDULED_STACK="${STACK}-scheduled"
TABLE_PREFIX="${TABLE_PREFIX:-livechat-${STAGE}-}"
BUILD_DIR="${BUILD_DIR:-$ROOT/build/deploy-$STAGE}"
PYTHON="${PYTHON:-python}"

[[ "$STAGE" =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "STAGE must be lower-case letters, digits and '-'"
[[ -n "${ARTIFACT_BUCKET:-}" ]] ||
	die "set ARTIFACT_BUCKET to an S3 bucket for the Lambda packages (created if missing)"
for tool in aws chalice "$PYTHON"; do
	command -v "$tool" >/dev/null || die "'$tool' not found on PATH (see infra/README.md)"
done

mkdir -p "$BUILD_DIR"
BUILD_DIR="$(cd "$BUILD_DIR" && pwd)" # chalice runs in the app directories: keep it absolute

# --- 1. merge templates (offline, so a wrong stage fails before anything is created) -----
for app in traffic scheduled; do
	(cd "$ROOT" && "$PYTHON" -m infra.template --app "$app" --stage "$CHALICE_STAGE" \
		--out "$BUILD_DIR/$app-merge.json") ||
		die "no merge template for the $app app (CHALICE_STAGE=$CHALICE_STAGE: see above)"
done

REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}}"
[[ -n "$REGION" ]] || die "no region: set AWS_REGION"
export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
log "deploying stage '$STAGE' (Chalice stage '$CHALICE_STAGE') to account $ACCOUNT in $REGION"

# --- the artifact bucket -----------------------------------------------------------------
if ! aws s3api head-bucket --bucket "$ARTIFACT_BUCKET" 2>/dev/null; then
	log "creating the artifact bucket s3://$ARTIFACT_BUCKET"
	aws s3 mb "s3://$ARTIFACT_BUCKET" --region "$REGION"
	aws s3api put-public-access-block --bucket "$ARTIFACT_BUCKET" \
		--public-access-block-configuration \
		BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
fi

# --- 2-3. packages for both apps, before anything is deployed ----------------------------
# package_app NAME APP_DIR: writes $BUILD_DIR/NAME/packaged.yaml
package_app() {
	local name="$1" app_dir="$2"
	local merge="$BUILD_DIR/$name-merge.json" out="$BUILD_DIR/$name"
	log "packaging the $name app"
	rm -rf "$out"
	(cd "$app_dir" && chalice package --stage "$CHALICE_STAGE" --merge-template "$merge" "$out")
	aws cloudformation package \
		--template-file "$out/sam.json" \
		--s3-bucket "$ARTIFACT_BUCKET" \
		--s3-prefix "$STACK/$name" \
		--output-template-file "$out/packaged.yaml"
}

package_app traffic "$ROOT"
package_app scheduled "$ROOT/scheduled"

# --- 4. the stacks: traffic first (it owns the tables), then the clock app ---------------
# deploy_stack STACK_NAME TEMPLATE [EXTRA_PARAMETER=VALUE ...]
deploy_stack() {
	local stack="$1" template="$2"
	shift 2
	log "deploying stack $stack"
	# --s3-bucket: the traffic template (Swagger included) is over CloudFormation's
	# 51,200-byte limit for templates passed inline.
	aws cloudformation deploy \
		--stack-name "$stack" \
		--template-file "$template" \
		--s3-bucket "$ARTIFACT_BUCKET" \
		--s3-prefix "$STACK/templates" \
		--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
		--parameter-overrides "TablePrefix=$TABLE_PREFIX" "$@" \
		--tags "app=livechat" "stage=$STAGE" \
		--no-fail-on-empty-changeset
}

# Billing settings come from the environment of whoever deploys (never from a file in
# the repository); unset ones keep the stack's current values.
BILLING_OVERRIDES=()
for pair in STRIPE_SECRET_KEY:StripeSecretKey STRIPE_WEBHOOK_SECRET:StripeWebhookSecret \
	PLAN_CATALOGUE:PlanCatalogue BILLING_RETURN_URL:BillingReturnUrl MAIL_FROM:MailFrom \
	VAPID_SUBJECT:VapidSubject INBOUND_MAIL_DOMAIN:InboundMailDomain; do
	setting="${pair%%:*}"
	if [[ -n "${!setting:-}" ]]; then
		BILLING_OVERRIDES+=("${pair##*:}=${!setting}")
	fi
done
# DynamoDB creates one GSI per table per update: a table that gains several (a stack
# deployed long ago) gets them one update at a time, through templates that hold the
# others back (infra/index_steps.py, HOLD_BACK_INDEXES in infra/tables.py).
for step in 1 2 3 4 5; do
	HOLD_BACK="$(cd "$ROOT" && "$PYTHON" -m infra.index_steps --prefix "$TABLE_PREFIX")"
	[[ -n "$HOLD_BACK" ]] || break
	[[ "$step" -lt 5 ]] || die "tables still miss indexes after 4 steps: $HOLD_BACK"
	log "step $step: one new index per table this update; held back: $HOLD_BACK"
	(cd "$ROOT" && HOLD_BACK_INDEXES="$HOLD_BACK" "$PYTHON" -m infra.template --app traffic \
		--stage "$CHALICE_STAGE" --out "$BUILD_DIR/traffic-step-merge.json")
	package_app traffic-step "$ROOT"
	deploy_stack "$STACK" "$BUILD_DIR/traffic-step/packaged.yaml" "${BILLING_OVERRIDES[@]}"
done
deploy_stack "$STACK" "$BUILD_DIR/traffic/packaged.yaml" "${BILLING_OVERRIDES[@]}"

# stack_output KEY: one output of the traffic stack
stack_output() {
	local value
	value="$(aws cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text)"
	[[ -n "$value" && "$value" != "None" ]] || die "stack $STACK has no output $1"
	printf '%s' "$value"
}

# stack_parameter KEY: one parameter of the traffic stack, as it is now
stack_parameter() {
	aws cloudformation describe-stacks --stack-name "$STACK" \
		--query "Stacks[0].Parameters[?ParameterKey=='$1'].ParameterValue" --output text
}

# The clock app posts to sockets too (auto-close tells the visitor): it needs the API id.
# It also mails e-mail auto messages: the traffic stack's sender, and where attachments
# are served for the links in those mails, and the panel for the escalation mails' links.
MAIL_FROM_NOW="$(stack_parameter MailFrom)"
[[ "$MAIL_FROM_NOW" != "None" ]] || MAIL_FROM_NOW=""
# Conversations by e-mail: the clock app signs reply addresses with the traffic stack's
# secret, for the domain SES receives on (INBOUND_MAIL_DOMAIN; README "Replies by e-mail").
INBOUND_NOW="$(stack_parameter InboundMailDomain)"
[[ "$INBOUND_NOW" != "None" ]] || INBOUND_NOW=""
deploy_stack "$SCHEDULED_STACK" "$BUILD_DIR/scheduled/packaged.yaml" \
	"WebsocketApiId=$(stack_output WebsocketAPIId)" \
	"AttachmentsUrl=$(stack_output AttachmentsUrl)" "MailFrom=$MAIL_FROM_NOW" \
	"PanelUrl=$(stack_output PanelURL)" \
	"PushQueueUrl=$(stack_output PushQueueUrl)" "PushQueueArn=$(stack_output PushQueueArn)" \
	"ChannelQueueUrl=$(stack_output ChannelQueueUrl)" \
	"ChannelQueueArn=$(stack_output ChannelQueueArn)" \
	"MailTokenSecretArn=$(stack_output MailTokenSecretArn)" \
	"MailConfigurationSet=$(stack_output MailConfigurationSet)" \
	"InboundMailDomain=$INBOUND_NOW" "ApiUrl=$(stack_output EndpointURL)"

API_URL="$(stack_output EndpointURL)"
API_URL="${API_URL%/}"
WS_URL="$(stack_output WebsocketURL)"
BUCKET="$(stack_output StaticBucketName)"
CDN="$(stack_output CdnDomainName)"
DISTRIBUTION="$(stack_output CdnDistributionId)"

# --- 5. widget and panel -----------------------------------------------------------------
log "uploading widget/ and panel/ to s3://$BUCKET"
# Short max-age: customers embed a fixed loader.js URL; the invalidation below covers
# the edges, this covers browsers.
# The widget is served minified (infra/widget_build.py); its budgets are measured so.
(cd "$ROOT" && "$PYTHON" -m infra.widget_build "$BUILD_DIR/widget" >/dev/null)
aws s3 sync "$BUILD_DIR/widget" "s3://$BUCKET/widget" --delete --exclude '.*' \
	--content-type text/javascript --cache-control "public, max-age=300"
aws s3 sync "$ROOT/panel" "s3://$BUCKET/panel" --delete --exclude '.*' --exclude config.json \
	--exclude sw.js --exclude manifest.webmanifest --cache-control "public, max-age=300"
# The service worker, stamped with the shell's files and their digest (a new deploy is a
# new worker), and the manifest: no-cache, so browsers find a new one on the next load
# (infra/cdn.py keeps them off the edges' caches too).
(cd "$ROOT" && "$PYTHON" -m infra.panel_build "$BUILD_DIR/panel" >/dev/null)
aws s3 cp "$BUILD_DIR/panel/sw.js" "s3://$BUCKET/panel/sw.js" \
	--content-type text/javascript --cache-control no-cache
aws s3 cp "$ROOT/panel/manifest.webmanifest" "s3://$BUCKET/panel/manifest.webmanifest" \
	--content-type application/manifest+json --cache-control no-cache
# JSON built by Python, not by string pasting, so any URL is quoted correctly.
# widget_url: the Install page's <script> tag.
"$PYTHON" -c 'import json, sys; print(json.dumps({"api_url": sys.argv[1], "ws_url": sys.argv[2], "widget_url": sys.argv[3]}))' \
	"$API_URL" "$WS_URL" "https://$CDN/widget/loader.js" >"$BUILD_DIR/panel-config.json"
aws s3 cp "$BUILD_DIR/panel-config.json" "s3://$BUCKET/panel/config.json" \
	--content-type application/json --cache-control no-cache
aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION" --paths '/*' \
	--query Invalidation.Id --output text >/dev/null

# --- 6. where it is ----------------------------------------------------------------------
cat <<EOF

Deployed stage '$STAGE' ($STACK, $SCHEDULED_STACK) in $REGION.

  Panel (operators sign up here):  https://$CDN/panel/index.html
  REST API:                        $API_URL
  WebSocket API:                   $WS_URL

Put this on the website, with the project id shown in the panel after sign-up:

  <script src="https://$CDN/widget/loader.js" data-project-id="PROJECT_ID" data-api="$API_URL" async></script>

A new CloudFront distribution can take a few minutes to answer everywhere.
EOF
