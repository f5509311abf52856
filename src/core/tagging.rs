//! TagResource and UntagResource: tags on resource shares and on customer
//! managed permissions the caller owns.

use crate::core::arn::{self, PermissionArn, PermissionOwner};
use crate::core::clock::Ctx;
use crate::core::shares;
use crate::core::state::State;
use crate::core::tags::{self, Tags};
use crate::error::{Error, Result};

/// What TagResource / UntagResource act on: exactly one of the two ARNs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagTarget {
    pub resource_share_arn: Option<String>,
    pub resource_arn: Option<String>,
}

/// Input of TagResource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagResourceInput {
    pub target: TagTarget,
    pub tags: Vec<(String, String)>,
}

/// Input of UntagResource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UntagResourceInput {
    pub target: TagTarget,
    pub tag_keys: Vec<String>,
}

/// Replaces the tag map of the target with what `change` makes of it,
/// refusing what the caller may not tag.
fn retag(
    state: &mut State,
    ctx: &Ctx,
    target: &TagTarget,
    change: impl FnOnce(&Tags) -> Result<Tags>,
) -> Result<()> {
    let share = target
        .resource_share_arn
        .as_deref()
        .filter(|s| !s.is_empty());
    let resource = target.resource_arn.as_deref().filter(|s| !s.is_empty());
    match (share, resource) {
        (Some(_), Some(_)) | (None, None) => Err(Error::InvalidParameter(
            "Only one of resourceArn or resourceShareArn may be specified.".into(),
        )),
        (Some(share_arn), None) => {
            let current = shares::tags_mut(state, ctx, share_arn)?;
            *current = change(current)?;
            Ok(())
        }
        (None, Some(resource_arn)) => {
            let not_found = || {
                Error::ResourceArnNotFound(format!(
                    "The resource {resource_arn} could not be found. Verify the ARN and try again."
                ))
            };
            arn::Arn::parse(resource_arn)?;
            let parsed = PermissionArn::parse(resource_arn).map_err(|_| not_found())?;
            if parsed.owner == PermissionOwner::Aws {
                return Err(Error::OperationNotPermitted(format!(
                    "{resource_arn} is an AWS managed permission; only customer managed permissions can be tagged."
                )));
            }
            let owned = state
                .permissions
                .get(resource_arn)
                .is_some_and(|p| p.owner == ctx.account);
            if !owned {
                // A permission shared with the caller is visible, but not its to tag.
                return match crate::core::permissions::resolve(state, ctx, resource_arn) {
                    Ok(_) => Err(Error::OperationNotPermitted(format!(
                        "The permission {resource_arn} is shared with your account by its owner; only the owner can tag it."
                    ))),
                    Err(_) => Err(not_found()),
                };
            }
            let mut permission = state
                .permissions
                .get_mut(resource_arn)
                .expect("the caller's permission exists");
            permission.tags = change(&permission.tags)?;
            Ok(())
        }
    }
}

/// TagResource: adds or overwrites tags.
pub fn tag_resource(state: &mut State, ctx: &Ctx, input: TagResourceInput) -> Result<()> {
    if input.tags.is_empty() {
        return Err(Error::missing("tags"));
    }
    retag(state, ctx, &input.target, |current| {
        tags::apply_tags(current, &input.tags)
    })
}

/// UntagResource: removes tags by key; absent keys are ignored.
pub fn untag_resource(state: &mut State, ctx: &Ctx, input: UntagResourceInput) -> Result<()> {
    if input.tag_keys.is_empty() {
        return Err(Error::missing("tagKeys"));
    }
    retag(state, ctx, &input.target, |current| {
        tags::remove_tags(current, &input.tag_keys)
    })
}
