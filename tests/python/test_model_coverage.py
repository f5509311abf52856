"""Checks the protos under proto/ against the AWS RAM model and CONTRACT.md.

The reference is botocore's RAM model (`data/ram/2018-01-04/service-2.json`),
so upgrading botocore shows at once what the protos are missing.
"""

import pytest
from google.protobuf.descriptor import FieldDescriptor

from helpers import ADMIN_SERVICE, RAM_SERVICE, compile_descriptor_pool, load_ram_model, upper_snake

MODEL = load_ram_model()
SHAPES = MODEL["shapes"]
OPERATIONS = sorted(MODEL["operations"])
TIMESTAMP = "google.protobuf.Timestamp"

SCALAR_TYPES = {
    "string": FieldDescriptor.TYPE_STRING,
    "integer": FieldDescriptor.TYPE_INT32,
    "long": FieldDescriptor.TYPE_INT64,
    "boolean": FieldDescriptor.TYPE_BOOL,
}
INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
}


def is_enum(shape):
    return SHAPES[shape]["type"] == "string" and "enum" in SHAPES[shape]


def operation_shapes(op):
    """(proto message name, AWS shape name or None, is request) for an operation's request and response."""
    spec = MODEL["operations"][op]
    return [
        (op + "Request", spec.get("input", {}).get("shape"), True),
        (op + "Response", spec.get("output", {}).get("shape"), False),
    ]


def reachable(shape, seen):
    """Adds every structure and enum shape reachable from `shape` to `seen`."""
    s = SHAPES[shape]
    if shape in seen:
        return
    if s["type"] == "structure":
        seen.add(shape)
        for member in s["members"].values():
            reachable(member["shape"], seen)
    elif s["type"] == "list":
        reachable(s["member"]["shape"], seen)
    elif is_enum(shape):
        seen.add(shape)


def nested_shapes():
    """Structure and enum shapes used by the operations, other than their input and output shapes."""
    seen = set()
    for op in OPERATIONS:
        for _message, shape, _in_request in operation_shapes(op):
            if shape:
                for member in SHAPES[shape]["members"].values():
                    reachable(member["shape"], seen)
    return seen


NESTED = nested_shapes()
NESTED_STRUCTURES = sorted(s for s in NESTED if SHAPES[s]["type"] == "structure")
ENUMS = sorted(s for s in NESTED if is_enum(s))


@pytest.fixture(scope="module")
def pool():
    return compile_descriptor_pool()


def find_service(pool, full_name):
    try:
        return pool.FindServiceByName(full_name)
    except KeyError:
        pytest.fail(f"service {full_name} is missing from proto/")


def find_message(pool, full_name):
    try:
        return pool.FindMessageTypeByName(full_name)
    except KeyError:
        pytest.fail(f"message {full_name} is missing from proto/")


def is_repeated(field):
    """Whether a field is repeated, on runtimes with `is_repeated` and on older ones with only `label`."""
    if hasattr(field, "is_repeated"):
        return field.is_repeated
    return field.label == FieldDescriptor.LABEL_REPEATED


# Protobuf type numbers by name: TYPE_STRING -> "string".
TYPE_NAMES = {
    getattr(FieldDescriptor, n): n[len("TYPE_") :].lower() for n in dir(FieldDescriptor) if n.startswith("TYPE_")
}


def type_name(field):
    """A field's type as a person reads it: a message or enum's full name, or a scalar type."""
    if field.message_type is not None:
        return field.message_type.full_name
    if field.enum_type is not None:
        return field.enum_type.full_name
    return TYPE_NAMES.get(field.type, str(field.type))


def type_problem(field, shape, where):
    """What is wrong with the type of `field` for a value of AWS shape `shape`, or None."""
    s = SHAPES[shape]
    if s["type"] == "timestamp":
        expected = TIMESTAMP
    elif s["type"] == "structure" or is_enum(shape):
        expected = f"ram.v1.{shape}"
    elif s["type"] in SCALAR_TYPES:
        expected = TYPE_NAMES[SCALAR_TYPES[s["type"]]]
    else:
        return f"{where}: the test does not know AWS type {s['type']!r}"
    actual = type_name(field)
    return None if actual == expected else f"{where} must be of type {expected}, is {actual}"


def needs_presence(shape_name, member_name, member, in_request):
    """Whether CONTRACT.md makes this member a proto3 `optional` field.

    Booleans and integers are, unless a request requires them (their absence
    means "not given" or the default); so are the other scalars an update
    request does not require.
    """
    s = SHAPES[member["shape"]]
    if in_request and member_name in SHAPES[shape_name].get("required", []):
        return False
    if s["type"] in ("boolean", "integer", "long"):
        return True
    is_update = shape_name.startswith("Update") and in_request
    return is_update and s["type"] == "string" and not is_enum(member["shape"])


def member_problems(message, shape_name, in_request):
    """Every way in which `message` fails to carry the members of AWS shape `shape_name`."""
    problems = []
    if shape_name is None:
        return problems
    by_json = {f.json_name: f for f in message.fields}
    for name, member in SHAPES[shape_name]["members"].items():
        where = f"{message.full_name}.{name}"
        field = by_json.get(name)
        if field is None:
            problems.append(
                f"{where}: no field whose JSON name is {name!r} (fields: {sorted(by_json)})"
            )
            continue
        shape = member["shape"]
        repeated = is_repeated(field)
        if SHAPES[shape]["type"] == "list":
            if not repeated:
                problems.append(f"{where} is a list in the AWS model and must be repeated")
            shape = SHAPES[shape]["member"]["shape"]
        elif repeated:
            problems.append(f"{where} is not a list in the AWS model but is repeated")
        problem = type_problem(field, shape, where)
        if problem:
            problems.append(problem)
        if (
            not repeated
            and needs_presence(shape_name, name, member, in_request)
            and not field.has_presence
        ):
            problems.append(f"{where} must be a proto3 optional field (CONTRACT.md, Messages)")
    return problems


def test_service_has_exactly_the_model_operations(pool):
    service = find_service(pool, RAM_SERVICE)
    rpcs = {m.name for m in service.methods}
    missing = sorted(set(OPERATIONS) - rpcs)
    extra = sorted(rpcs - set(OPERATIONS))
    assert not missing, f"{RAM_SERVICE} lacks RPCs for AWS operations {missing}"
    assert not extra, f"{RAM_SERVICE} has RPCs {extra} that are not AWS RAM operations"


@pytest.mark.parametrize("op", OPERATIONS)
def test_operation(pool, op):
    service = find_service(pool, RAM_SERVICE)
    method = service.methods_by_name.get(op)
    assert method is not None, f"{RAM_SERVICE} has no RPC {op}"
    problems = []
    for message_name, shape, in_request in operation_shapes(op):
        full = f"ram.v1.{message_name}"
        actual = (method.input_type if in_request else method.output_type).full_name
        if actual != full:
            problems.append(f"{RAM_SERVICE}.{op} {'takes' if in_request else 'returns'} {actual}, not {full}")
        problems += member_problems(find_message(pool, full), shape, in_request)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("shape", NESTED_STRUCTURES)
def test_nested_structure(pool, shape):
    problems = member_problems(find_message(pool, f"ram.v1.{shape}"), shape, False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("shape", ENUMS)
def test_enum(pool, shape):
    try:
        enum = pool.FindEnumTypeByName(f"ram.v1.{shape}")
    except KeyError:
        pytest.fail(f"enum ram.v1.{shape} is missing from proto/")
    prefix = upper_snake(shape)
    expected = {f"{prefix}_{v.replace('-', '_').upper()}" for v in SHAPES[shape]["enum"]}
    values = {v.name: v.number for v in enum.values}
    zero = [name for name, number in values.items() if number == 0]
    assert zero == [f"{prefix}_UNSPECIFIED"], f"ram.v1.{shape}: value 0 must be {prefix}_UNSPECIFIED, is {zero}"
    actual = set(values) - {f"{prefix}_UNSPECIFIED"}
    assert actual == expected, (
        f"ram.v1.{shape}: missing values {sorted(expected - actual)}, unexpected values {sorted(actual - expected)}"
    )


# The admin service as CONTRACT.md's admin table describes it: for each RPC, the
# request's and the response's fields by JSON name. A dict is a message, a
# one-element list a repeated field of that element.
STRING, INTEGER = "string", "integer"
ORGANIZATION = {"id": STRING, "arn": STRING, "managementAccountId": STRING, "rootId": STRING}
ORGANIZATIONAL_UNIT = {"id": STRING, "arn": STRING, "name": STRING, "parentId": STRING}
ORGANIZATION_ACCOUNT = {"accountId": STRING, "parentId": STRING}
ADMIN_RPCS = {
    "Reset": ({}, {}),
    "CreateOrganization": ({"managementAccountId": STRING}, {"organization": ORGANIZATION}),
    "CreateOrganizationalUnit": (
        {"parentId": STRING, "name": STRING},
        {"organizationalUnit": ORGANIZATIONAL_UNIT},
    ),
    "AddAccount": ({"accountId": STRING, "parentId": STRING}, {}),
    "RemoveAccount": ({"accountId": STRING}, {}),
    "DescribeOrganization": (
        {"accountId": STRING},
        {
            "organization": ORGANIZATION,
            "organizationalUnits": [ORGANIZATIONAL_UNIT],
            "accounts": [ORGANIZATION_ACCOUNT],
        },
    ),
    "PutResourcePolicy": (
        {"resourceArn": STRING, "policy": STRING},
        {"resourceShareArn": STRING, "permissionArn": STRING},
    ),
    "DeleteResourcePolicy": ({"resourceArn": STRING}, {}),
    "AdvanceClock": ({"seconds": INTEGER}, {"now": TIMESTAMP}),
}


def spec_problems(message, spec, where):
    """Every way in which `message` differs from the admin table's description `spec`."""
    problems = []
    by_json = {f.json_name: f for f in message.fields}
    for extra in sorted(set(by_json) - set(spec)):
        problems.append(f"{where} has field {extra!r}, which CONTRACT.md does not list")
    for name, kind in spec.items():
        field = by_json.get(name)
        at = f"{where}.{name}"
        if field is None:
            problems.append(f"{at}: no field whose JSON name is {name!r} (fields: {sorted(by_json)})")
            continue
        repeated = is_repeated(field)
        if isinstance(kind, list):
            if not repeated:
                problems.append(f"{at} must be repeated")
            kind = kind[0]
        elif repeated:
            problems.append(f"{at} must not be repeated")
        if isinstance(kind, dict):
            if field.message_type is None or field.message_type.full_name == TIMESTAMP:
                problems.append(f"{at} must be a message")
            else:
                problems += spec_problems(field.message_type, kind, at)
        elif kind == TIMESTAMP:
            if field.message_type is None or field.message_type.full_name != TIMESTAMP:
                problems.append(f"{at} must be a {TIMESTAMP}")
        elif kind == STRING and field.type != FieldDescriptor.TYPE_STRING:
            problems.append(f"{at} must be a string")
        elif kind == INTEGER and field.type not in INTEGER_TYPES:
            problems.append(f"{at} must be an integer")
    return problems


def test_admin_service_has_exactly_the_contract_rpcs(pool):
    service = find_service(pool, ADMIN_SERVICE)
    rpcs = {m.name for m in service.methods}
    assert rpcs == set(ADMIN_RPCS), (
        f"{ADMIN_SERVICE}: missing RPCs {sorted(set(ADMIN_RPCS) - rpcs)}, "
        f"RPCs not in CONTRACT.md {sorted(rpcs - set(ADMIN_RPCS))}"
    )


@pytest.mark.parametrize("rpc", sorted(ADMIN_RPCS))
def test_admin_rpc(pool, rpc):
    method = find_service(pool, ADMIN_SERVICE).methods_by_name.get(rpc)
    assert method is not None, f"{ADMIN_SERVICE} has no RPC {rpc}"
    request_spec, response_spec = ADMIN_RPCS[rpc]
    problems = []
    for message, suffix, spec in (
        (method.input_type, "Request", request_spec),
        (method.output_type, "Response", response_spec),
    ):
        expected = f"ram.admin.v1.{rpc}{suffix}"
        if message.full_name != expected:
            problems.append(f"{ADMIN_SERVICE}.{rpc} uses {message.full_name}, not {expected}")
        problems += spec_problems(message, spec, message.full_name)
    assert not problems, "\n".join(problems)
