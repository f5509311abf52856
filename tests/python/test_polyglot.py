"""Talks to a running ramd the way clients in other languages do.

Part (a) uses stubs generated from proto/. Part (b) has no .proto at hand and
learns every message from server reflection, as grpcurl and dynamic clients do.
"""

import json
import uuid

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from helpers import (
    ADMIN_SERVICE,
    HEALTH_SERVICE,
    RAM_SERVICE,
    as_account,
    assert_ram_error,
    create_customer_managed_permission,
)

OWNER = "111122223333"
OTHER = "444455556666"
CALL_TIMEOUT_SECONDS = 10


def unique_name():
    return f"polyglot-{uuid.uuid4().hex[:12]}"


def permission_arn(account, name):
    return f"arn:aws:ram:us-east-1:{account}:permission/{name}"


def report_rejected(created):
    """Prints the resource types that refused a customer managed permission (shown with -rP)."""
    for resource_type, message in created.rejected:
        print(f"CreatePermission refused {resource_type}: {message}")


# (a) Stubs generated from proto/.


def stub_caller(stubs, channel, account):
    """A JSON-level `call(method, request)` over the generated ResourceAccessManager stub."""
    ram = stubs.ram_pb2_grpc.ResourceAccessManagerStub(channel)

    def call(method, request):
        message = json_format.ParseDict(request, getattr(stubs.ram_pb2, f"{method}Request")())
        reply = getattr(ram, method)(message, metadata=as_account(account), timeout=CALL_TIMEOUT_SECONDS)
        return json_format.MessageToDict(reply)

    return call


@pytest.fixture
def ram(stubs, channel):
    return stubs.ram_pb2_grpc.ResourceAccessManagerStub(channel)


@pytest.fixture
def created(stubs, channel):
    """A customer managed permission that OWNER created through the generated stubs."""
    result = create_customer_managed_permission(stub_caller(stubs, channel, OWNER), unique_name())
    report_rejected(result)
    return result


def test_stubs_create_and_get_permission(stubs, ram, created):
    pb = stubs.ram_pb2
    name = created.response["permission"]["name"]
    arn = permission_arn(OWNER, name)
    assert created.response["permission"]["arn"] == arn

    reply = ram.GetPermission(
        pb.GetPermissionRequest(permission_arn=arn), metadata=as_account(OWNER), timeout=CALL_TIMEOUT_SECONDS
    )
    got = reply.permission
    assert got.arn == arn
    assert got.name == name
    assert got.resource_type == created.resource_type
    assert got.version == "1"
    assert got.HasField("default_version") and got.default_version, f"defaultVersion is not true: {got}"
    assert got.permission_type == pb.PERMISSION_TYPE_CUSTOMER_MANAGED, (
        f"permissionType is {pb.PermissionType.Name(got.permission_type)}"
    )
    assert json.loads(got.permission) == json.loads(created.template)


def test_stubs_duplicate_name_is_already_exists(stubs, ram, created):
    permission = created.response["permission"]
    request = stubs.ram_pb2.CreatePermissionRequest(
        name=permission["name"], resource_type=created.resource_type, policy_template=created.template
    )
    with pytest.raises(grpc.RpcError) as failure:
        ram.CreatePermission(request, metadata=as_account(OWNER), timeout=CALL_TIMEOUT_SECONDS)
    assert_ram_error(failure.value, grpc.StatusCode.ALREADY_EXISTS, "PermissionAlreadyExistsException")


def test_stubs_other_account_cannot_get_permission(stubs, ram, created):
    request = stubs.ram_pb2.GetPermissionRequest(permission_arn=created.response["permission"]["arn"])
    with pytest.raises(grpc.RpcError) as failure:
        ram.GetPermission(request, metadata=as_account(OTHER), timeout=CALL_TIMEOUT_SECONDS)
    assert_ram_error(failure.value, grpc.StatusCode.NOT_FOUND, "UnknownResourceException")


def test_stubs_cross_account_share_is_accepted_and_seen(stubs, ram):
    """OWNER shares a CodeBuild project with OTHER, which accepts the invitation and sees the share."""
    pb = stubs.ram_pb2
    project = f"arn:aws:codebuild:us-east-1:{OWNER}:project/{unique_name()}"
    created = ram.CreateResourceShare(
        pb.CreateResourceShareRequest(name=unique_name(), resource_arns=[project], principals=[OTHER]),
        metadata=as_account(OWNER),
        timeout=CALL_TIMEOUT_SECONDS,
    ).resource_share
    assert created.owning_account_id == OWNER
    assert created.status == pb.RESOURCE_SHARE_STATUS_ACTIVE

    received = ram.GetResourceShareInvitations(
        pb.GetResourceShareInvitationsRequest(resource_share_arns=[created.resource_share_arn]),
        metadata=as_account(OTHER),
        timeout=CALL_TIMEOUT_SECONDS,
    ).resource_share_invitations
    assert len(received) == 1, f"OTHER received {received}"
    invitation = received[0]
    assert (invitation.sender_account_id, invitation.receiver_account_id) == (OWNER, OTHER)
    assert invitation.status == pb.RESOURCE_SHARE_INVITATION_STATUS_PENDING

    accepted = ram.AcceptResourceShareInvitation(
        pb.AcceptResourceShareInvitationRequest(resource_share_invitation_arn=invitation.resource_share_invitation_arn),
        metadata=as_account(OTHER),
        timeout=CALL_TIMEOUT_SECONDS,
    ).resource_share_invitation
    assert accepted.status == pb.RESOURCE_SHARE_INVITATION_STATUS_ACCEPTED

    seen = ram.GetResourceShares(
        pb.GetResourceSharesRequest(resource_owner=pb.RESOURCE_OWNER_OTHER_ACCOUNTS),
        metadata=as_account(OTHER),
        timeout=CALL_TIMEOUT_SECONDS,
    ).resource_shares
    assert [(s.resource_share_arn, s.owning_account_id) for s in seen] == [(created.resource_share_arn, OWNER)]
    resources = ram.ListResources(
        pb.ListResourcesRequest(resource_owner=pb.RESOURCE_OWNER_OTHER_ACCOUNTS),
        metadata=as_account(OTHER),
        timeout=CALL_TIMEOUT_SECONDS,
    ).resources
    assert [(r.arn, r.type) for r in resources] == [(project, "codebuild:Project")]


# (b) Server reflection only: no .proto file and no generated code.


class ReflectionClient:
    """Builds every message of a service from what server reflection describes."""

    def __init__(self, channel):
        self.channel = channel
        self.database = ProtoReflectionDescriptorDatabase(channel)
        self.pool = descriptor_pool.DescriptorPool(self.database)

    def services(self):
        return set(self.database.get_services())

    def caller(self, service_name, account):
        """A JSON-level `call(method, request)` on `service_name`, made with dynamic messages."""
        service = self.pool.FindServiceByName(service_name)

        def call(method_name, request):
            method = service.methods_by_name[method_name]
            request_class = message_factory.GetMessageClass(method.input_type)
            response_class = message_factory.GetMessageClass(method.output_type)
            rpc = self.channel.unary_unary(
                f"/{service.full_name}/{method.name}",
                request_serializer=request_class.SerializeToString,
                response_deserializer=response_class.FromString,
            )
            message = json_format.ParseDict(request, request_class())
            reply = rpc(message, metadata=as_account(account), timeout=CALL_TIMEOUT_SECONDS)
            return json_format.MessageToDict(reply)

        return call


def test_reflection_lists_the_services(channel):
    services = ReflectionClient(channel).services()
    missing = {RAM_SERVICE, ADMIN_SERVICE, HEALTH_SERVICE} - services
    assert not missing, f"reflection (v1alpha) does not list {sorted(missing)}; it lists {sorted(services)}"


def test_reflection_v1_lists_the_services(channel):
    # grpc.reflection.v1 is wire-compatible with v1alpha, so the v1alpha messages serve both.
    info = channel.stream_stream(
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    replies = list(info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=CALL_TIMEOUT_SECONDS))
    assert len(replies) == 1, replies
    v1 = {s.name for s in replies[0].list_services_response.service}
    v1alpha = ReflectionClient(channel).services()
    missing = {RAM_SERVICE, ADMIN_SERVICE, HEALTH_SERVICE} - v1
    assert not missing, f"reflection (v1) does not list {sorted(missing)}; it lists {sorted(v1)}"
    # Each version may or may not list the reflection services themselves; all else must agree.
    served = {s for s in v1 | v1alpha if not s.startswith("grpc.reflection.")}
    assert v1 >= served and v1alpha >= served, f"v1 lists {sorted(v1)}, v1alpha lists {sorted(v1alpha)}"


def test_reflection_client_creates_and_gets_permission(channel):
    client = ReflectionClient(channel)
    call = client.caller(RAM_SERVICE, OWNER)
    name = unique_name()
    created = create_customer_managed_permission(call, name)
    report_rejected(created)
    arn = permission_arn(OWNER, name)
    assert created.response["permission"]["arn"] == arn
    assert created.response["permission"]["permissionType"] == "PERMISSION_TYPE_CUSTOMER_MANAGED"

    got = call("GetPermission", {"permissionArn": arn})["permission"]
    assert got["arn"] == arn
    assert got["name"] == name
    assert got["resourceType"] == created.resource_type
    assert got["version"] == "1"
    assert got.get("defaultVersion") is True, f"defaultVersion is not true: {got}"
    assert got["permissionType"] == "PERMISSION_TYPE_CUSTOMER_MANAGED"
    assert json.loads(got["permission"]) == json.loads(created.template)

    other = client.caller(RAM_SERVICE, OTHER)
    with pytest.raises(grpc.RpcError) as failure:
        other("GetPermission", {"permissionArn": arn})
    assert_ram_error(failure.value, grpc.StatusCode.NOT_FOUND, "UnknownResourceException")
