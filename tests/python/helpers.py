"""Helpers shared by the Python test suites of ramd.

Nothing here starts a server; the fixtures that do live in conftest.py.
"""

import gzip
import importlib.resources
import json
import os
import re
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.rpc import error_details_pb2
from grpc_status import rpc_status

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(REPO_ROOT, "proto")

RAM_SERVICE = "ram.v1.ResourceAccessManager"
ADMIN_SERVICE = "ram.admin.v1.Admin"
HEALTH_SERVICE = "grpc.health.v1.Health"

# The metadata key that names the calling account in header mode.
ACCOUNT_HEADER = "x-ram-account-id"


def proto_files():
    """Every .proto file under proto/, as paths relative to proto/."""
    found = []
    for root, _dirs, files in os.walk(PROTO_DIR):
        for name in files:
            if name.endswith(".proto"):
                found.append(os.path.relpath(os.path.join(root, name), PROTO_DIR))
    if not found:
        raise AssertionError(f"no .proto files under {PROTO_DIR}")
    return sorted(found)


def run_protoc(*args):
    """Runs the protoc bundled with grpc_tools on proto/, failing with its output."""
    wkt = str(importlib.resources.files("grpc_tools") / "_proto")
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{wkt}", *args, *proto_files()]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"protoc failed ({done.returncode}):\n{' '.join(cmd)}\n{done.stderr}")


def compile_descriptor_pool():
    """Compiles proto/ into a descriptor set and loads it into a fresh pool."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ramd.pb")
        run_protoc(f"--descriptor_set_out={out}", "--include_imports")
        with open(out, "rb") as f:
            fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in fds.file:
        pool.Add(file_proto)
    return pool


def load_ram_model():
    """The AWS RAM API model as installed with botocore."""
    import botocore  # noqa: PLC0415

    base = os.path.join(os.path.dirname(botocore.__file__), "data", "ram", "2018-01-04")
    for name, opener in (("service-2.json", open), ("service-2.json.gz", gzip.open)):
        path = os.path.join(base, name)
        if os.path.exists(path):
            with opener(path, "rt", encoding="utf-8") as f:
                return json.load(f)
    raise AssertionError(f"botocore {botocore.__version__} has no RAM model under {base}")


def upper_snake(name):
    """`ResourceShareStatus` -> `RESOURCE_SHARE_STATUS`."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).upper()


def as_account(account_id):
    """Call metadata that makes `account_id` the caller in header mode."""
    return ((ACCOUNT_HEADER, account_id),)


def error_info(err):
    """The google.rpc.ErrorInfo carried by a failed call's grpc-status-details-bin trailer."""
    status = rpc_status.from_call(err)
    assert status is not None, f"{err.code()} {err.details()!r} has no grpc-status-details-bin trailer"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"status details {list(status.details)} hold no google.rpc.ErrorInfo")


def assert_ram_error(err, code, reason):
    """Checks that a failed call carries the gRPC code and AWS exception name expected."""
    assert isinstance(err, grpc.RpcError), f"expected a failed call, got {err!r}"
    assert err.code() == code, f"expected {code.name}, got {err.code().name}: {err.details()}"
    info = error_info(err)
    assert (info.reason, info.domain) == (reason, "ram"), (
        f"expected ErrorInfo reason {reason} in domain ram, got {info.reason!r} in {info.domain!r}"
    )
    assert err.details(), "the status message is empty"


# Resource types tried first when a test needs a customer managed permission;
# the rest of ListResourceTypes follows in the server's order.
PREFERRED_RESOURCE_TYPES = ("codebuild:Project", "backup:BackupVault", "ec2:Subnet", "glue:Catalog")


def paginate(call, method, request, key):
    """Every item of a paginated list operation, following nextToken."""
    items, request = [], dict(request)
    while True:
        page = call(method, request)
        items.extend(page.get(key, []))
        token = page.get("nextToken")
        if not token:
            return items
        request["nextToken"] = token


def default_managed_action(call, resource_type):
    """An action of the AWS managed permission that is the default for `resource_type`."""
    summaries = paginate(
        call,
        "ListPermissions",
        {"resourceType": resource_type, "permissionType": "PERMISSION_TYPE_FILTER_AWS_MANAGED"},
        "permissions",
    )
    defaults = [p for p in summaries if p.get("isResourceTypeDefault")]
    assert defaults, f"ListPermissions lists no default AWS managed permission for {resource_type}: {summaries}"
    detail = call("GetPermission", {"permissionArn": defaults[0]["arn"]})["permission"]
    actions = json.loads(detail["permission"]).get("Action")
    actions = [actions] if isinstance(actions, str) else actions
    assert actions, f"{defaults[0]['arn']} grants no action: {detail['permission']}"
    return actions[0]


class CreatedPermission:
    """The outcome of create_customer_managed_permission."""

    def __init__(self, resource_type, template, response, rejected):
        self.resource_type = resource_type
        self.template = template
        self.response = response
        # (resource type, status message) for each type that refused a customer managed permission.
        self.rejected = rejected


def create_customer_managed_permission(call, name):
    """Creates customer managed permission `name` for the first resource type that supports one.

    `call(method, request_dict)` performs a ResourceAccessManager RPC as the owning
    account and returns the response as a dict keyed by JSON names, raising
    grpc.RpcError on failure. A type that refuses customer managed permissions must
    do so with InvalidParameterException; the next type is then tried.
    """
    listed = [t["resourceType"] for t in paginate(call, "ListResourceTypes", {}, "resourceTypes")]
    assert listed, "ListResourceTypes returned no resource type"
    order = [t for t in PREFERRED_RESOURCE_TYPES if t in listed] + [
        t for t in listed if t not in PREFERRED_RESOURCE_TYPES
    ]
    rejected = []
    for resource_type in order:
        template = json.dumps({"Effect": "Allow", "Action": [default_managed_action(call, resource_type)]})
        request = {"name": name, "resourceType": resource_type, "policyTemplate": template}
        try:
            response = call("CreatePermission", request)
        except grpc.RpcError as err:
            assert_ram_error(err, grpc.StatusCode.INVALID_ARGUMENT, "InvalidParameterException")
            rejected.append((resource_type, err.details()))
            continue
        return CreatedPermission(resource_type, template, response, rejected)
    raise AssertionError(f"no resource type accepted a customer managed permission: {rejected}")
