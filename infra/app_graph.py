"""Which function roles to grant and which stage the APIs use, asked of Chalice's own
application graph (the same code ``chalice package`` runs, in a child process), so a new
route, socket handler or schedule is covered without editing the templates."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
APP_DIRS = {"traffic": REPO_ROOT, "scheduled": REPO_ROOT / "scheduled"}


@dataclass(frozen=True)
class AppInfo:
    roles: tuple[str, ...]  # logical ids of the function roles in Chalice's SAM template
    functions: tuple[str, ...]  # logical ids of the functions themselves
    api_stage: str  # API Gateway stage of the REST and WebSocket APIs
    has_websocket: bool


@lru_cache(maxsize=8)
def describe_app(app: str, stage: str = "dev") -> AppInfo:
    """Build the app's resource graph the way ``chalice package`` does, offline.

    In a child process: executing an app.py registers chalicelib's blueprints on the new
    app object, which would take them away from an app already imported in this one.
    """
    code = (
        "import json, sys\n"
        "from infra.app_graph import describe_here\n"
        "try:\n"
        "    print(json.dumps(describe_here(sys.argv[1], sys.argv[2])))\n"
        "except ValueError as error:\n"
        "    sys.exit(str(error))\n"
    )
    result = subprocess.run(  # noqa: S603 (this interpreter, fixed code)
        [sys.executable, "-c", code, app, stage],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        raise ValueError(f"{app} app: {lines[-1]}")
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return AppInfo(
        roles=tuple(found["roles"]),
        functions=tuple(found["functions"]),
        api_stage=found["api_stage"],
        has_websocket=found["has_websocket"],
    )


def describe_here(app: str, stage: str) -> dict:
    from chalice.config import Config
    from chalice.deploy import models
    from chalice.deploy.appgraph import ApplicationGraphBuilder, DependencyBuilder
    from chalice.utils import to_cfn_resource_name

    app_dir = APP_DIRS[app]
    config_from_disk = json.loads((app_dir / ".chalice" / "config.json").read_text())
    if stage not in config_from_disk.get("stages", {}):
        raise ValueError(f"stage {stage!r} is not in {app_dir / '.chalice' / 'config.json'}")
    chalice_app = _load_chalice_app(app, app_dir)
    config = Config(
        chalice_stage=stage,
        user_provided_params={"chalice_app": chalice_app, "project_dir": str(app_dir)},
        config_from_disk=config_from_disk,
        # As chalice's CLI factory sets them.
        default_params={
            "project_dir": str(app_dir),
            "api_gateway_stage": "api",
            "api_gateway_endpoint_type": "EDGE",
            "autogen_policy": True,
        },
    )
    if not config.autogen_policy:
        policy_file = app_dir / ".chalice" / (config.iam_policy_file or f"policy-{stage}.json")
        if not policy_file.is_file():
            raise ValueError(f"stage {stage!r} has autogen_policy false but no {policy_file}")
    application = ApplicationGraphBuilder().build(config, stage)
    roles: list[str] = []
    functions: list[str] = []
    for resource in DependencyBuilder().build_dependencies(application):
        if isinstance(resource, models.LambdaFunction):
            name = to_cfn_resource_name(resource.resource_name)
            # Chalice's SAM writer spells the REST handler "APIHandler", its graph "ApiHandler".
            functions.append("APIHandler" if name == "ApiHandler" else name)
        if isinstance(resource, models.PreCreatedIAMRole):
            raise ValueError(f"{app}: a pre-created role ({resource.role_arn}) is not ours")
        if isinstance(resource, models.ManagedIAMRole):
            roles.append(to_cfn_resource_name(resource.resource_name))
    if not roles:
        raise ValueError(f"{app}: no Lambda functions found")
    return {
        "roles": list(dict.fromkeys(roles)),
        "functions": list(dict.fromkeys(functions)),
        "api_stage": config.api_gateway_stage,
        "has_websocket": bool(chalice_app.websocket_handlers),
    }


def _load_chalice_app(app: str, app_dir: Path):
    # Under a name of its own: both apps live in a file called app.py.
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    spec = importlib.util.spec_from_file_location(f"_livechat_{app}_app", app_dir / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app
