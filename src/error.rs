//! The domain error: one variant per AWS RAM exception, each carrying the
//! message a person reads. `api::status` maps each variant to a gRPC code and
//! the `google.rpc.ErrorInfo` reason; nothing else in the crate does.

/// Every way an operation can fail, named exactly as the AWS exception.
///
/// The `String` is the message sent to the client: a sentence a person can act
/// on. Internal causes (I/O errors, bugs) go into `ServerInternal` and are
/// logged by the api layer, never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    MalformedArn(String),
    #[error("{0}")]
    MissingRequiredParameter(String),
    #[error("{0}")]
    MalformedPolicyTemplate(String),
    #[error("{0}")]
    InvalidPolicy(String),
    #[error("{0}")]
    InvalidResourceType(String),
    #[error("{0}")]
    InvalidNextToken(String),
    #[error("{0}")]
    InvalidMaxResults(String),
    #[error("{0}")]
    InvalidClientToken(String),
    #[error("{0}")]
    UnknownResource(String),
    #[error("{0}")]
    ResourceArnNotFound(String),
    #[error("{0}")]
    ResourceShareInvitationArnNotFound(String),
    #[error("{0}")]
    PermissionAlreadyExists(String),
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    #[error("{0}")]
    OperationNotPermitted(String),
    #[error("{0}")]
    InvalidStateTransition(String),
    #[error("{0}")]
    ResourceShareInvitationAlreadyAccepted(String),
    #[error("{0}")]
    ResourceShareInvitationAlreadyRejected(String),
    #[error("{0}")]
    ResourceShareInvitationExpired(String),
    #[error("{0}")]
    UnmatchedPolicyPermission(String),
    #[error("{0}")]
    TagPolicyViolation(String),
    #[error("{0}")]
    PermissionLimitExceeded(String),
    #[error("{0}")]
    PermissionVersionsLimitExceeded(String),
    #[error("{0}")]
    ResourceShareLimitExceeded(String),
    #[error("{0}")]
    TagLimitExceeded(String),
    #[error("{0}")]
    Throttling(String),
    /// The cause is logged; clients only learn that something went wrong.
    #[error("internal error: {0}")]
    ServerInternal(String),
    #[error("{0}")]
    ServiceUnavailable(String),
    /// No or bad credentials.
    #[error("{0}")]
    UnrecognizedClient(String),
    /// An admin RPC called without admin rights.
    #[error("{0}")]
    AccessDenied(String),
}

impl Error {
    /// The AWS exception name, used as `ErrorInfo.reason`.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Error::InvalidParameter(_) => "InvalidParameterException",
            Error::MalformedArn(_) => "MalformedArnException",
            Error::MissingRequiredParameter(_) => "MissingRequiredParameterException",
            Error::MalformedPolicyTemplate(_) => "MalformedPolicyTemplateException",
            Error::InvalidPolicy(_) => "InvalidPolicyException",
            Error::InvalidResourceType(_) => "InvalidResourceTypeException",
            Error::InvalidNextToken(_) => "InvalidNextTokenException",
            Error::InvalidMaxResults(_) => "InvalidMaxResultsException",
            Error::InvalidClientToken(_) => "InvalidClientTokenException",
            Error::UnknownResource(_) => "UnknownResourceException",
            Error::ResourceArnNotFound(_) => "ResourceArnNotFoundException",
            Error::ResourceShareInvitationArnNotFound(_) => {
                "ResourceShareInvitationArnNotFoundException"
            }
            Error::PermissionAlreadyExists(_) => "PermissionAlreadyExistsException",
            Error::IdempotentParameterMismatch(_) => "IdempotentParameterMismatchException",
            Error::OperationNotPermitted(_) => "OperationNotPermittedException",
            Error::InvalidStateTransition(_) => "InvalidStateTransitionException",
            Error::ResourceShareInvitationAlreadyAccepted(_) => {
                "ResourceShareInvitationAlreadyAcceptedException"
            }
            Error::ResourceShareInvitationAlreadyRejected(_) => {
                "ResourceShareInvitationAlreadyRejectedException"
            }
            Error::ResourceShareInvitationExpired(_) => "ResourceShareInvitationExpiredException",
            Error::UnmatchedPolicyPermission(_) => "UnmatchedPolicyPermissionException",
            Error::TagPolicyViolation(_) => "TagPolicyViolationException",
            Error::PermissionLimitExceeded(_) => "PermissionLimitExceededException",
            Error::PermissionVersionsLimitExceeded(_) => "PermissionVersionsLimitExceededException",
            Error::ResourceShareLimitExceeded(_) => "ResourceShareLimitExceededException",
            Error::TagLimitExceeded(_) => "TagLimitExceededException",
            Error::Throttling(_) => "ThrottlingException",
            Error::ServerInternal(_) => "ServerInternalException",
            Error::ServiceUnavailable(_) => "ServiceUnavailableException",
            Error::UnrecognizedClient(_) => "UnrecognizedClientException",
            Error::AccessDenied(_) => "AccessDeniedException",
        }
    }

    /// Shorthand for the common "required member absent" failure.
    pub fn missing(member: &str) -> Error {
        Error::MissingRequiredParameter(format!(
            "The request is missing the required parameter {member}."
        ))
    }
}

/// The result type of every core operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
