"""Drives ramd through RAM's own AWS protocol (rest-json, `--aws-listen`) with boto3 and the AWS CLI.

botocore validates every response against the AWS model as it parses it, so a
member of the wrong shape fails the test. Every one of the model's operations
is called (the last test checks it), covering the scenarios of the gRPC
tests: permissions and versions, shares with invitations across accounts,
organizations (set up through the gRPC admin API), shares created from
policies and their promotion, replacement work items, resource policies,
errors, idempotency, pagination, token mode with SigV4 signatures, and one
core behind both protocols.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid

import boto3
import grpc
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import free_port, running_ramd
from helpers import as_account, load_ram_model

OWNER = "111122223333"
OTHER = "444455556666"
THIRD = "777788889999"
TEMPLATE = '{"Effect":"Allow","Action":["codebuild:BatchGetProjects"]}'
TEMPLATE_2 = '{"Effect":"Allow","Action":["codebuild:BatchGetProjects","codebuild:StartBuild"]}'
CALL_TIMEOUT_SECONDS = 10
MODEL = load_ram_model()

# Every operation a test of this module called, by botocore operation name.
CALLED = set()


def unique(prefix="aws"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def project(account, name=None):
    return f"arn:aws:codebuild:us-east-1:{account}:project/{name or unique('p')}"


def _record(model, **_kwargs):
    CALLED.add(model.name)


def client(endpoint, account=OWNER, secret="x"):
    """A boto3 RAM client whose access key id names the account (header mode)."""
    c = boto3.client(
        "ram",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )
    c.meta.events.register("before-call.ram", _record)
    return c


def error_of(excinfo):
    """(code, HTTP status, message) of a ClientError."""
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def expect_error(code, call, *args, **kwargs):
    """Runs a call that must fail with the AWS exception `code` and its model HTTP status."""
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    got_code, status, message = error_of(excinfo)
    want_status = MODEL["shapes"].get(code, {}).get("error", {}).get("httpStatusCode", 400)
    assert (got_code, status) == (code, want_status), message
    assert message
    return message


@pytest.fixture
def endpoint(aws_server):
    return aws_server.endpoint


@pytest.fixture
def admin(stubs, aws_server):
    """A JSON-level call(method, request) on the gRPC admin service."""
    from google.protobuf import json_format

    channel = grpc.insecure_channel(aws_server.grpc)
    stub = stubs.admin_pb2_grpc.AdminStub(channel)

    def call(method, request):
        message = json_format.ParseDict(request, getattr(stubs.admin_pb2, f"{method}Request")())
        reply = getattr(stub, method)(message, metadata=as_account(OWNER), timeout=CALL_TIMEOUT_SECONDS)
        return json_format.MessageToDict(reply)

    yield call
    channel.close()


def test_permissions_and_their_versions(endpoint):
    ram = client(endpoint)
    name = unique("perm")
    created = ram.create_permission(name=name, resourceType="codebuild:Project", policyTemplate=TEMPLATE)
    permission = created["permission"]
    arn = permission["arn"]
    assert arn == f"arn:aws:ram:us-east-1:{OWNER}:permission/{name}"
    assert (permission["version"], permission["defaultVersion"]) == ("1", True)
    assert permission["permissionType"] == "CUSTOMER_MANAGED"
    assert permission["status"] == "ATTACHABLE"
    assert permission["creationTime"].year >= 2024
    assert created["clientToken"]

    got = ram.get_permission(permissionArn=arn)["permission"]
    assert json.loads(got["permission"]) == json.loads(TEMPLATE)
    assert got["resourceOwner"] == "SELF"

    v2 = ram.create_permission_version(permissionArn=arn, policyTemplate=TEMPLATE_2)["permission"]
    assert (v2["version"], v2["defaultVersion"]) == ("2", True)
    versions = ram.list_permission_versions(permissionArn=arn)["permissions"]
    assert sorted(v["version"] for v in versions) == ["1", "2"]
    old = ram.get_permission(permissionArn=arn, permissionVersion=1)["permission"]
    assert (old["defaultVersion"], old["status"]) == (False, "UNATTACHABLE")

    assert ram.set_default_permission_version(permissionArn=arn, permissionVersion=1)["returnValue"] is True
    deleted = ram.delete_permission_version(permissionArn=arn, permissionVersion=2)
    assert deleted["permissionStatus"] == "DELETING"
    assert [v["version"] for v in ram.list_permission_versions(permissionArn=arn)["permissions"]] == ["1"]

    # The legacy permissionType values of ListPermissions.
    mine = [p["arn"] for p in ram.list_permissions(permissionType="LOCAL")["permissions"]]
    assert mine == [arn]
    managed = ram.list_permissions(permissionType="AWS", resourceType="codebuild:Project")["permissions"]
    assert managed and all(p["permissionType"] == "AWS_MANAGED" for p in managed)
    assert [p["arn"] for p in ram.list_permissions(permissionType="CUSTOMER_MANAGED")["permissions"]] == [arn]
    every = ram.list_permissions(permissionType="ALL")["permissions"]
    assert arn in [p["arn"] for p in every] and len(every) > 1

    ram.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "build"}])
    assert ram.get_permission(permissionArn=arn)["permission"]["tags"] == [{"key": "team", "value": "build"}]
    ram.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert ram.get_permission(permissionArn=arn)["permission"]["tags"] == []

    updated = ram.update_permission(permissionArn=arn, status="DEPRECATED")
    assert updated["permissionStatus"] == "DEPRECATED"

    assert ram.delete_permission(permissionArn=arn)["permissionStatus"] == "DELETING"
    expect_error("UnknownResourceException", ram.get_permission, permissionArn=arn)


def test_a_share_crosses_accounts_through_an_invitation(endpoint):
    owner, other = client(endpoint, OWNER), client(endpoint, OTHER)
    p1, p2 = project(OWNER), project(OWNER)
    share = owner.create_resource_share(name=unique("share"), resourceArns=[p1], principals=[OTHER])["resourceShare"]
    arn = share["resourceShareArn"]
    assert (share["status"], share["owningAccountId"], share["featureSet"]) == ("ACTIVE", OWNER, "STANDARD")

    invitations = other.get_resource_share_invitations(resourceShareArns=[arn])["resourceShareInvitations"]
    assert len(invitations) == 1
    invitation = invitations[0]
    assert (invitation["senderAccountId"], invitation["receiverAccountId"], invitation["status"]) == (
        OWNER,
        OTHER,
        "PENDING",
    )
    pending = other.list_pending_invitation_resources(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )["resources"]
    assert [r["arn"] for r in pending] == [p1]
    accepted = other.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )["resourceShareInvitation"]
    assert accepted["status"] == "ACCEPTED"

    seen = other.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [(s["resourceShareArn"], s["owningAccountId"]) for s in seen] == [(arn, OWNER)]
    resources = other.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]
    assert [(r["arn"], r["type"], r["status"]) for r in resources] == [(p1, "codebuild:Project", "AVAILABLE")]
    principals = owner.list_principals(resourceOwner="SELF", resourceShareArns=[arn])["principals"]
    assert [p["id"] for p in principals] == [OTHER]
    assert principals[0]["external"] is True

    associations = owner.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[arn])[
        "resourceShareAssociations"
    ]
    assert [(a["associatedEntity"], a["status"]) for a in associations] == [(OTHER, "ASSOCIATED")]
    attached = owner.list_resource_share_permissions(resourceShareArn=arn)["permissions"]
    assert len(attached) == 1 and attached[0]["resourceType"] == "codebuild:Project"

    added = owner.associate_resource_share(resourceShareArn=arn, resourceArns=[p2])["resourceShareAssociations"]
    assert [(a["associatedEntity"], a["associationType"]) for a in added] == [(p2, "RESOURCE")]
    removed = owner.disassociate_resource_share(resourceShareArn=arn, resourceArns=[p2])["resourceShareAssociations"]
    assert removed[0]["status"] == "DISASSOCIATING"
    renamed = owner.update_resource_share(resourceShareArn=arn, name="renamed", allowExternalPrincipals=True)
    assert renamed["resourceShare"]["name"] == "renamed"

    policies = owner.get_resource_policies(resourceArns=[p1])["policies"]
    assert len(policies) == 1
    statement = json.loads(policies[0])["Statement"][0]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{OTHER}:root"]}

    # A second invitation is rejected.
    second = owner.create_resource_share(name=unique("share"), resourceArns=[p2], principals=[OTHER])
    second_arn = second["resourceShare"]["resourceShareArn"]
    invitation = other.get_resource_share_invitations(resourceShareArns=[second_arn])["resourceShareInvitations"][0]
    rejected = other.reject_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"]
    )["resourceShareInvitation"]
    assert rejected["status"] == "REJECTED"
    expect_error(
        "ResourceShareInvitationAlreadyRejectedException",
        other.accept_resource_share_invitation,
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"],
    )

    assert owner.delete_resource_share(resourceShareArn=arn, clientToken=unique())["returnValue"] is True
    deleted = owner.get_resource_shares(resourceOwner="SELF", resourceShareArns=[arn])["resourceShares"]
    assert deleted[0]["status"] == "DELETED"
    assert other.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []


def test_share_permissions_and_replacement_work(endpoint):
    ram = client(endpoint)
    perm = ram.create_permission(name=unique("perm"), resourceType="codebuild:Project", policyTemplate=TEMPLATE)
    perm_arn = perm["permission"]["arn"]
    share_arn = ram.create_resource_share(
        name=unique("share"), resourceArns=[project(OWNER)], permissionArns=[perm_arn]
    )["resourceShare"]["resourceShareArn"]
    ram.create_permission_version(permissionArn=perm_arn, policyTemplate=TEMPLATE_2)

    on_v1 = ram.list_permission_associations(permissionArn=perm_arn)["permissions"]
    assert [(p["resourceShareArn"], p["permissionVersion"], p["defaultVersion"]) for p in on_v1] == [
        (share_arn, "1", False)
    ]
    work = ram.replace_permission_associations(
        fromPermissionArn=perm_arn, fromPermissionVersion=1, toPermissionArn=perm_arn
    )["replacePermissionAssociationsWork"]
    assert (work["status"], work["fromPermissionVersion"], work["toPermissionVersion"]) == ("IN_PROGRESS", "1", "2")
    works = ram.list_replace_permission_associations_work(workIds=[work["id"]])["replacePermissionAssociationsWorks"]
    assert [w["status"] for w in works] == ["COMPLETED"]
    attached = ram.list_resource_share_permissions(resourceShareArn=share_arn)["permissions"]
    assert [(p["arn"], p["version"]) for p in attached] == [(perm_arn, "2")]

    # Swap in the AWS managed default permission, then remove the customer one.
    managed = ram.list_permissions(resourceType="codebuild:Project", permissionType="AWS_MANAGED")["permissions"]
    default = next(p for p in managed if p["isResourceTypeDefault"])
    assert (
        ram.associate_resource_share_permission(
            resourceShareArn=share_arn, permissionArn=default["arn"], replace=True
        )["returnValue"]
        is True
    )
    attached = ram.list_resource_share_permissions(resourceShareArn=share_arn)["permissions"]
    assert [p["arn"] for p in attached] == [default["arn"]]
    # A permission stays while the share holds resources of its type.
    subnet = f"arn:aws:ec2:us-east-1:{OWNER}:subnet/subnet-1"
    p2 = project(OWNER)
    second = ram.create_resource_share(name=unique("share"), resourceArns=[p2, subnet], permissionArns=[perm_arn])[
        "resourceShare"
    ]["resourceShareArn"]
    expect_error(
        "OperationNotPermittedException",
        ram.disassociate_resource_share_permission,
        resourceShareArn=second,
        permissionArn=perm_arn,
    )
    ram.disassociate_resource_share(resourceShareArn=second, resourceArns=[p2])
    removed = ram.disassociate_resource_share_permission(resourceShareArn=second, permissionArn=perm_arn)
    assert removed["returnValue"] is True


def test_sharing_within_an_organization(endpoint, admin):
    org = admin("CreateOrganization", {"managementAccountId": OWNER})["organization"]
    admin("AddAccount", {"accountId": OTHER, "parentId": org["rootId"]})
    owner, member = client(endpoint, OWNER), client(endpoint, OTHER)
    assert owner.enable_sharing_with_aws_organization()["returnValue"] is True
    p1 = project(OWNER)
    share = owner.create_resource_share(
        name=unique("org"), resourceArns=[p1], principals=[org["arn"]], allowExternalPrincipals=False
    )["resourceShare"]
    # Members see it at once: no invitation inside the organization.
    assert member.get_resource_share_invitations()["resourceShareInvitations"] == []
    seen = member.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in seen] == [share["resourceShareArn"]]
    principals = owner.list_principals(resourceOwner="SELF")["principals"]
    assert [(p["id"], p["external"]) for p in principals] == [(org["arn"], False)]
    expect_error(
        "OperationNotPermittedException",
        client(endpoint, THIRD).enable_sharing_with_aws_organization,
    )


def test_a_share_created_from_a_policy_is_promoted(endpoint, admin):
    resource = project(OWNER, "builder")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                "Action": ["codebuild:BatchGetProjects", "codebuild:StartBuild"],
                "Resource": resource,
            }
        ],
    }
    put = admin("PutResourcePolicy", {"resourceArn": resource, "policy": json.dumps(policy)})
    share_arn, cfp_arn = put["resourceShareArn"], put["permissionArn"]
    ram = client(endpoint)
    own = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]
    assert [(s["resourceShareArn"], s["featureSet"]) for s in own] == [(share_arn, "CREATED_FROM_POLICY")]
    by_feature = ram.list_permission_associations(featureSet="CREATED_FROM_POLICY")["permissions"]
    assert [p["arn"] for p in by_feature] == [cfp_arn]
    expect_error("UnmatchedPolicyPermissionException", ram.promote_resource_share_created_from_policy, resourceShareArn=share_arn)

    promoted = ram.promote_permission_created_from_policy(permissionArn=cfp_arn, name="ProjectBuilders")["permission"]
    assert promoted["arn"] == f"arn:aws:ram:us-east-1:{OWNER}:permission/ProjectBuilders"
    assert (promoted["featureSet"], promoted["permissionType"]) == ("STANDARD", "CUSTOMER_MANAGED")
    assert ram.promote_resource_share_created_from_policy(resourceShareArn=share_arn)["returnValue"] is True
    own = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]
    assert own[0]["featureSet"] == "STANDARD"
    seen = client(endpoint, OTHER).get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"]
    assert [s["resourceShareArn"] for s in seen] == [share_arn]
    expect_error("InvalidStateTransitionException", ram.promote_resource_share_created_from_policy, resourceShareArn=share_arn)


def test_source_associations_of_a_service_principal(endpoint):
    ram = client(endpoint)
    share_arn = ram.create_resource_share(
        name=unique("svc"),
        resourceArns=[project(OWNER)],
        principals=["codebuild.amazonaws.com"],
        sources=["210987654321", "arn:aws:s3:::build-artifacts"],
    )["resourceShare"]["resourceShareArn"]
    rows = ram.list_source_associations(resourceShareArns=[share_arn])["sourceAssociations"]
    assert sorted((r["sourceId"], r["sourceType"], r["status"]) for r in rows) == [
        ("210987654321", "ACCOUNT", "ASSOCIATED"),
        ("arn:aws:s3:::build-artifacts", "ARN", "ASSOCIATED"),
    ]
    only = ram.list_source_associations(sourceType="ARN")["sourceAssociations"]
    assert [r["sourceId"] for r in only] == ["arn:aws:s3:::build-artifacts"]


def test_resource_types_and_paginators(endpoint):
    ram = client(endpoint)
    types = ram.list_resource_types()["resourceTypes"]
    assert {"resourceType": "codebuild:Project", "serviceName": "codebuild", "resourceRegionScope": "REGIONAL"} in types
    regional = ram.list_resource_types(resourceRegionScope="GLOBAL")["resourceTypes"]
    assert regional and all(t["resourceRegionScope"] == "GLOBAL" for t in regional)

    arns = [
        ram.create_resource_share(name=unique("page"), resourceArns=[project(OWNER)])["resourceShare"][
            "resourceShareArn"
        ]
        for _ in range(5)
    ]
    pages = list(
        ram.get_paginator("get_resource_shares").paginate(resourceOwner="SELF", PaginationConfig={"PageSize": 2})
    )
    assert [len(p["resourceShares"]) for p in pages] == [2, 2, 1]
    assert sorted(s["resourceShareArn"] for p in pages for s in p["resourceShares"]) == sorted(arns)
    listed = (
        ram.get_paginator("list_resources")
        .paginate(resourceOwner="SELF", PaginationConfig={"PageSize": 3})
        .build_full_result()["resources"]
    )
    assert len(listed) == 5
    assocs = ram.get_paginator("get_resource_share_associations").paginate(
        associationType="RESOURCE", PaginationConfig={"PageSize": 4}
    )
    assert sum(len(p["resourceShareAssociations"]) for p in assocs) == 5
    first = ram.list_permissions(maxResults=3)
    assert len(first["permissions"]) == 3 and first["nextToken"]
    following = ram.list_permissions(maxResults=3, nextToken=first["nextToken"])["permissions"]
    assert not {p["arn"] for p in following} & {p["arn"] for p in first["permissions"]}
    expect_error("InvalidNextTokenException", ram.list_permissions, nextToken="forged")


def test_errors_carry_the_exception_and_its_status(endpoint):
    ram = client(endpoint)
    name = unique("perm")
    ram.create_permission(name=name, resourceType="codebuild:Project", policyTemplate=TEMPLATE)
    expect_error(
        "PermissionAlreadyExistsException",
        ram.create_permission,
        name=name,
        resourceType="codebuild:Project",
        policyTemplate=TEMPLATE,
    )
    expect_error("MalformedArnException", ram.get_permission, permissionArn="not-an-arn")
    expect_error(
        "UnknownResourceException",
        ram.get_permission,
        permissionArn=f"arn:aws:ram:us-east-1:{OWNER}:permission/{unique('missing')}",
    )
    expect_error("InvalidParameterException", ram.get_resource_shares, resourceOwner="NOBODY")
    expect_error("MalformedPolicyTemplateException", ram.create_permission, name=unique(), resourceType="codebuild:Project", policyTemplate="{")
    expect_error("InvalidClientTokenException", ram.create_resource_share, name="n", clientToken="x" * 65)


def test_raw_http_errors_and_request_ids(endpoint):
    def send(method, path, body=b"", headers=None):
        request = urllib.request.Request(endpoint + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS) as r:
                return r.status, r.headers, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.headers, json.loads(e.read())

    status, headers, body = send("POST", "/nosuchoperation", b"{}")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == body["__type"] == "UnknownOperationException"
    assert headers["x-amzn-RequestId"]
    status, headers, body = send("GET", "/getpermission")
    assert (status, body["__type"]) == (404, "UnknownOperationException")
    status, headers, body = send("POST", "/getpermission", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")
    assert body["message"]
    status, headers, body = send("POST", "/getpermission", b'{"permissionArn": 42}')
    assert (status, body["__type"]) == (400, "SerializationException")
    status, headers, body = send("POST", "/getpermission", b"{}")
    assert status == 400 and body["__type"] in ("MissingRequiredParameterException", "InvalidParameterException")
    status, headers, body = send("POST", "/listresourcetypes", b"")
    assert status == 200 and headers["x-amzn-RequestId"] and body["resourceTypes"]
    assert headers["Content-Type"] == "application/json"


def test_client_tokens_make_calls_idempotent(endpoint):
    ram = client(endpoint)
    token = unique("token")
    p1 = project(OWNER)
    first = ram.create_resource_share(name="idem", resourceArns=[p1], clientToken=token)
    again = ram.create_resource_share(name="idem", resourceArns=[p1], clientToken=token)
    assert first["resourceShare"]["resourceShareArn"] == again["resourceShare"]["resourceShareArn"]
    assert again["clientToken"] == token
    assert len(ram.get_resource_shares(resourceOwner="SELF", name="idem")["resourceShares"]) == 1
    expect_error(
        "IdempotentParameterMismatchException",
        ram.create_resource_share,
        name="other",
        resourceArns=[p1],
        clientToken=token,
    )
    # Another account may use the same token for its own call.
    theirs = client(endpoint, OTHER).create_resource_share(name="idem", clientToken=token)
    assert theirs["resourceShare"]["owningAccountId"] == OTHER


def test_one_core_behind_both_protocols(endpoint, stubs, aws_server):
    pb = stubs.ram_pb2
    with grpc.insecure_channel(aws_server.grpc) as channel:
        ram = stubs.ram_pb2_grpc.ResourceAccessManagerStub(channel)
        from_grpc = ram.CreateResourceShare(
            pb.CreateResourceShareRequest(name=unique("grpc"), resource_arns=[project(OWNER)]),
            metadata=as_account(OWNER),
            timeout=CALL_TIMEOUT_SECONDS,
        ).resource_share
        aws = client(endpoint)
        seen = aws.get_resource_shares(resourceOwner="SELF", resourceShareArns=[from_grpc.resource_share_arn])
        assert [s["name"] for s in seen["resourceShares"]] == [from_grpc.name]
        from_aws = aws.create_resource_share(name=unique("aws"))["resourceShare"]
        listed = ram.GetResourceShares(
            pb.GetResourceSharesRequest(
                resource_owner=pb.RESOURCE_OWNER_SELF, resource_share_arns=[from_aws["resourceShareArn"]]
            ),
            metadata=as_account(OWNER),
            timeout=CALL_TIMEOUT_SECONDS,
        ).resource_shares
        assert [s.name for s in listed] == [from_aws["name"]]
        # The AWS caller is the account its access key id names, not the default account.
        assert from_aws["owningAccountId"] == OWNER
        default = client(endpoint, "AKIDNOTANACCOUNT").create_resource_share(name=unique("d"))["resourceShare"]
        assert default["owningAccountId"] == "123456789012"


def test_token_mode_verifies_signatures(tmp_path):
    tokens = tmp_path / "tokens.json"
    tokens.write_text(
        json.dumps(
            {
                "tokens": [
                    {"token": "AKIAOWNER0001", "accountId": OWNER, "secretKey": "owner-secret"},
                    {"token": "AKIAOTHER0002", "accountId": OTHER, "secretKey": "other-secret"},
                    {"token": "bearer-only-token", "accountId": THIRD},
                ]
            }
        )
    )
    tokens.chmod(0o600)
    aws_address = f"127.0.0.1:{free_port()}"
    with running_ramd(tmp_path, "--aws-listen", aws_address, "--auth", "token", "--tokens-file", str(tokens)):
        endpoint = f"http://{aws_address}"
        owner = client(endpoint, "AKIAOWNER0001", "owner-secret")
        share = owner.create_resource_share(name=unique("signed"), principals=[OTHER])["resourceShare"]
        assert share["owningAccountId"] == OWNER
        other = client(endpoint, "AKIAOTHER0002", "other-secret")
        invitations = other.get_resource_share_invitations()["resourceShareInvitations"]
        assert [i["receiverAccountId"] for i in invitations] == [OTHER]

        wrong = client(endpoint, "AKIAOWNER0001", "not-the-secret")
        with pytest.raises(ClientError) as excinfo:
            wrong.list_resource_types()
        assert error_of(excinfo)[:2] == ("InvalidSignatureException", 403)
        for unknown in [client(endpoint, "AKIAUNKNOWN", "x"), client(endpoint, "bearer-only-token", "x"), client(endpoint, OWNER, "x")]:
            with pytest.raises(ClientError) as excinfo:
                unknown.list_resource_types()
            assert error_of(excinfo)[:2] == ("UnrecognizedClientException", 403)
        request = urllib.request.Request(endpoint + "/listresourcetypes", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as unsigned:
            urllib.request.urlopen(request, timeout=CALL_TIMEOUT_SECONDS)
        assert unsigned.value.code == 403
        assert unsigned.value.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def aws_cli(endpoint, *args):
    """Runs `aws ram ...` against ramd and returns its parsed JSON output."""
    env = dict(os.environ)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": OWNER,
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "awscli", "ram", *args, "--endpoint-url", endpoint, "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"aws ram {' '.join(args)} exited with {done.returncode}:\n{done.stderr}"
    return json.loads(done.stdout)


def test_aws_cli_smoke(endpoint):
    types = aws_cli(endpoint, "list-resource-types")["resourceTypes"]
    assert any(t["resourceType"] == "codebuild:Project" for t in types)
    name = unique("cli")
    created = aws_cli(
        endpoint,
        "create-permission",
        "--name",
        name,
        "--resource-type",
        "codebuild:Project",
        "--policy-template",
        TEMPLATE,
    )["permission"]
    assert created["arn"].endswith(f":permission/{name}")
    got = aws_cli(endpoint, "get-permission", "--permission-arn", created["arn"])["permission"]
    assert (got["name"], got["version"], got["permissionType"]) == (name, "1", "CUSTOMER_MANAGED")
    # The CLI's own client records nothing in CALLED; the calls above were also made through boto3.


def test_the_routing_table_matches_the_model():
    """src/aws/model.rs is what tools/gen_aws_model.py makes of the installed botocore's model."""
    from helpers import REPO_ROOT

    sys.path.insert(0, os.path.join(REPO_ROOT, "tools"))
    try:
        import gen_aws_model  # noqa: PLC0415
    finally:
        sys.path.pop(0)
    with open(os.path.join(REPO_ROOT, "src", "aws", "model.rs"), encoding="utf-8") as f:
        committed = f.read()
    assert committed == gen_aws_model.render(MODEL), "run tools/gen_aws_model.py and commit src/aws/model.rs"


def test_every_operation_was_called(request):
    """The tests above called every operation of the AWS model (checked only when the whole module ran)."""
    module_tests = [item for item in request.session.items if item.module is sys.modules[__name__]]
    if len(module_tests) < sum(1 for name in globals() if name.startswith("test_")):
        pytest.skip("only part of the module ran")
    assert sorted(set(MODEL["operations"]) - CALLED) == []
