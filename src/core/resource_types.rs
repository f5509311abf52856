//! ListResourceTypes: the shareable resource types of the catalogue.

use crate::core::catalog::{Catalog, RegionScope, ResourceTypeInfo};
use crate::core::clock::Ctx;
use crate::core::state::State;
use crate::core::{Page, PageInput};
use crate::error::Result;

/// `resourceRegionScope` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegionScopeFilter {
    #[default]
    All,
    Regional,
    Global,
}

impl RegionScopeFilter {
    pub fn admits(self, scope: RegionScope) -> bool {
        match self {
            RegionScopeFilter::All => true,
            RegionScopeFilter::Regional => scope == RegionScope::Regional,
            RegionScopeFilter::Global => scope == RegionScope::Global,
        }
    }
}

/// Input of ListResourceTypes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListResourceTypesInput {
    pub scope: RegionScopeFilter,
    pub page: PageInput,
}

/// ListResourceTypes: every shareable type in the scope, by name.
pub fn list_resource_types(
    state: &State,
    ctx: &Ctx,
    input: ListResourceTypesInput,
) -> Result<Page<&'static ResourceTypeInfo>> {
    let query = format!("{:?}", input.scope);
    let pager = input.page.start(state, ctx, "ListResourceTypes", &query)?;
    let types = Catalog::get().resource_types();
    let start = match pager.after() {
        Some(a) => types.partition_point(|t| t.resource_type.as_str() <= a),
        None => 0,
    };
    let items = types[start..]
        .iter()
        .filter(|t| input.scope.admits(t.region_scope))
        .map(|t| (t.resource_type.clone(), t));
    let (items, next_token) = pager.finish(items);
    Ok(Page { items, next_token })
}
