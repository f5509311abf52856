//! The domain: RAM's objects and operations, transport-free and synchronous.
//!
//! An operation is `fn op(state: &mut State | &State, ctx: &Ctx, input) ->
//! Result<Output, Error>`. It validates everything before it mutates, so a
//! failed operation leaves the state untouched. Nothing here knows gRPC.

pub mod access;
pub mod arn;
pub mod associations;
pub mod catalog;
pub mod clock;
pub mod created_from_policy;
pub mod idempotency;
pub mod invitations;
pub mod orgs;
pub mod page;
pub mod permission_map;
pub mod permissions;
pub mod policy;
pub mod principals;
pub mod read_ahead;
pub mod resource_policies;
pub mod resource_table;
pub mod resource_types;
pub mod resources;
pub mod share_map;
pub mod share_permissions;
pub mod shares;
pub mod state;
pub mod tagging;
pub mod tags;
#[doc(hidden)]
pub mod testing;
pub mod timers;
pub mod vecmap;

/// The paging members of a list request, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInput {
    pub max_results: Option<i32>,
    pub next_token: Option<String>,
}

impl PageInput {
    /// Starts the page of operation `op` for the caller, whose filters render
    /// to `query`; an out-of-range `maxResults` is InvalidParameterException.
    pub fn start<'a>(
        &self,
        state: &'a state::State,
        ctx: &'a clock::Ctx,
        op: &'a str,
        query: &'a str,
    ) -> crate::error::Result<page::Pager<'a>> {
        self.start_with(
            state,
            ctx,
            op,
            query,
            page::MaxResultsError::InvalidParameter,
        )
    }

    /// Like [`PageInput::start`], with the error an out-of-range `maxResults`
    /// gets.
    pub fn start_with<'a>(
        &self,
        state: &'a state::State,
        ctx: &'a clock::Ctx,
        op: &'a str,
        query: &'a str,
        max_kind: page::MaxResultsError,
    ) -> crate::error::Result<page::Pager<'a>> {
        self.begin(state, ctx, op, page::Query::Text(query), max_kind)
    }

    /// Like [`PageInput::start`], with the query rendered by `query` only
    /// if a token is read or issued: most requests fit one page.
    pub fn start_deferred<'a>(
        &self,
        state: &'a state::State,
        ctx: &'a clock::Ctx,
        op: &'a str,
        query: &'a dyn Fn() -> String,
    ) -> crate::error::Result<page::Pager<'a>> {
        self.begin(
            state,
            ctx,
            op,
            page::Query::Deferred(query),
            page::MaxResultsError::InvalidParameter,
        )
    }

    /// The page of `op` for the caller, under the server's token key.
    fn begin<'a>(
        &self,
        state: &'a state::State,
        ctx: &'a clock::Ctx,
        op: &'a str,
        query: page::Query<'a>,
        max_kind: page::MaxResultsError,
    ) -> crate::error::Result<page::Pager<'a>> {
        page::Pager::start_query(
            &state.tokens,
            op,
            &ctx.account,
            query,
            self.max_results,
            self.next_token.as_deref(),
            max_kind,
        )
    }
}

/// One page of a list result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items follow.
    pub next_token: Option<String>,
}
