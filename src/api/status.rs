//! The single mapping from domain errors to gRPC statuses: each AWS exception
//! gets its gRPC code (CONTRACT.md) and a `google.rpc.ErrorInfo` detail whose
//! reason is the exception name and whose domain is `ram`.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::error::Error;

/// The `ErrorInfo.domain` of every ramd error.
pub const DOMAIN: &str = "ram";

/// The gRPC code of each AWS exception.
pub fn code(e: &Error) -> Code {
    match e {
        Error::InvalidParameter(_)
        | Error::MalformedArn(_)
        | Error::MissingRequiredParameter(_)
        | Error::MalformedPolicyTemplate(_)
        | Error::InvalidPolicy(_)
        | Error::InvalidResourceType(_)
        | Error::InvalidNextToken(_)
        | Error::InvalidMaxResults(_)
        | Error::InvalidClientToken(_) => Code::InvalidArgument,
        Error::UnknownResource(_)
        | Error::ResourceArnNotFound(_)
        | Error::ResourceShareInvitationArnNotFound(_) => Code::NotFound,
        Error::PermissionAlreadyExists(_) => Code::AlreadyExists,
        Error::IdempotentParameterMismatch(_)
        | Error::OperationNotPermitted(_)
        | Error::InvalidStateTransition(_)
        | Error::ResourceShareInvitationAlreadyAccepted(_)
        | Error::ResourceShareInvitationAlreadyRejected(_)
        | Error::ResourceShareInvitationExpired(_)
        | Error::UnmatchedPolicyPermission(_)
        | Error::TagPolicyViolation(_) => Code::FailedPrecondition,
        Error::PermissionLimitExceeded(_)
        | Error::PermissionVersionsLimitExceeded(_)
        | Error::ResourceShareLimitExceeded(_)
        | Error::TagLimitExceeded(_)
        | Error::Throttling(_) => Code::ResourceExhausted,
        Error::ServerInternal(_) => Code::Internal,
        Error::ServiceUnavailable(_) => Code::Unavailable,
        Error::UnrecognizedClient(_) => Code::Unauthenticated,
        Error::AccessDenied(_) => Code::PermissionDenied,
    }
}

/// The name of a gRPC code as logs and metrics label it (`InvalidArgument`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "Cancelled",
        Code::Unknown => "Unknown",
        Code::InvalidArgument => "InvalidArgument",
        Code::DeadlineExceeded => "DeadlineExceeded",
        Code::NotFound => "NotFound",
        Code::AlreadyExists => "AlreadyExists",
        Code::PermissionDenied => "PermissionDenied",
        Code::ResourceExhausted => "ResourceExhausted",
        Code::FailedPrecondition => "FailedPrecondition",
        Code::Aborted => "Aborted",
        Code::OutOfRange => "OutOfRange",
        Code::Unimplemented => "Unimplemented",
        Code::Internal => "Internal",
        Code::Unavailable => "Unavailable",
        Code::DataLoss => "DataLoss",
        Code::Unauthenticated => "Unauthenticated",
    }
}

/// Converts a domain error into the status sent to the client. Internal
/// causes are logged here and replaced by a generic message.
pub fn to_status(e: &Error) -> Status {
    let message = match e {
        Error::ServerInternal(cause) => {
            tracing::error!(cause = %cause, "internal error");
            "The service encountered an internal error. Try again later.".to_string()
        }
        other => other.to_string(),
    };
    Status::with_error_details(
        code(e),
        message,
        ErrorDetails::with_error_info(e.aws_code(), DOMAIN, HashMap::<String, String>::new()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an error of one variant from its message.
    type Make = fn(String) -> Error;

    /// The error contract of CONTRACT.md: each AWS exception, its code and reason.
    #[test]
    fn contract_table() {
        let table: &[(Make, Code, &str)] = &[
            (
                Error::InvalidParameter,
                Code::InvalidArgument,
                "InvalidParameterException",
            ),
            (
                Error::MalformedArn,
                Code::InvalidArgument,
                "MalformedArnException",
            ),
            (
                Error::MissingRequiredParameter,
                Code::InvalidArgument,
                "MissingRequiredParameterException",
            ),
            (
                Error::MalformedPolicyTemplate,
                Code::InvalidArgument,
                "MalformedPolicyTemplateException",
            ),
            (
                Error::InvalidPolicy,
                Code::InvalidArgument,
                "InvalidPolicyException",
            ),
            (
                Error::InvalidResourceType,
                Code::InvalidArgument,
                "InvalidResourceTypeException",
            ),
            (
                Error::InvalidNextToken,
                Code::InvalidArgument,
                "InvalidNextTokenException",
            ),
            (
                Error::InvalidMaxResults,
                Code::InvalidArgument,
                "InvalidMaxResultsException",
            ),
            (
                Error::InvalidClientToken,
                Code::InvalidArgument,
                "InvalidClientTokenException",
            ),
            (
                Error::UnknownResource,
                Code::NotFound,
                "UnknownResourceException",
            ),
            (
                Error::ResourceArnNotFound,
                Code::NotFound,
                "ResourceArnNotFoundException",
            ),
            (
                Error::ResourceShareInvitationArnNotFound,
                Code::NotFound,
                "ResourceShareInvitationArnNotFoundException",
            ),
            (
                Error::PermissionAlreadyExists,
                Code::AlreadyExists,
                "PermissionAlreadyExistsException",
            ),
            (
                Error::IdempotentParameterMismatch,
                Code::FailedPrecondition,
                "IdempotentParameterMismatchException",
            ),
            (
                Error::OperationNotPermitted,
                Code::FailedPrecondition,
                "OperationNotPermittedException",
            ),
            (
                Error::InvalidStateTransition,
                Code::FailedPrecondition,
                "InvalidStateTransitionException",
            ),
            (
                Error::ResourceShareInvitationAlreadyAccepted,
                Code::FailedPrecondition,
                "ResourceShareInvitationAlreadyAcceptedException",
            ),
            (
                Error::ResourceShareInvitationAlreadyRejected,
                Code::FailedPrecondition,
                "ResourceShareInvitationAlreadyRejectedException",
            ),
            (
                Error::ResourceShareInvitationExpired,
                Code::FailedPrecondition,
                "ResourceShareInvitationExpiredException",
            ),
            (
                Error::UnmatchedPolicyPermission,
                Code::FailedPrecondition,
                "UnmatchedPolicyPermissionException",
            ),
            (
                Error::TagPolicyViolation,
                Code::FailedPrecondition,
                "TagPolicyViolationException",
            ),
            (
                Error::PermissionLimitExceeded,
                Code::ResourceExhausted,
                "PermissionLimitExceededException",
            ),
            (
                Error::PermissionVersionsLimitExceeded,
                Code::ResourceExhausted,
                "PermissionVersionsLimitExceededException",
            ),
            (
                Error::ResourceShareLimitExceeded,
                Code::ResourceExhausted,
                "ResourceShareLimitExceededException",
            ),
            (
                Error::TagLimitExceeded,
                Code::ResourceExhausted,
                "TagLimitExceededException",
            ),
            (
                Error::Throttling,
                Code::ResourceExhausted,
                "ThrottlingException",
            ),
            (
                Error::ServerInternal,
                Code::Internal,
                "ServerInternalException",
            ),
            (
                Error::ServiceUnavailable,
                Code::Unavailable,
                "ServiceUnavailableException",
            ),
            (
                Error::UnrecognizedClient,
                Code::Unauthenticated,
                "UnrecognizedClientException",
            ),
            (
                Error::AccessDenied,
                Code::PermissionDenied,
                "AccessDeniedException",
            ),
        ];
        for (make, want_code, want_reason) in table {
            let e = make("m".into());
            let status = to_status(&e);
            assert_eq!(status.code(), *want_code, "{want_reason}");
            let info = status.get_error_details().error_info().cloned().unwrap();
            assert_eq!(info.reason, *want_reason);
            assert_eq!(info.domain, DOMAIN);
        }
    }

    /// Metrics label codes as the request log line does (`Debug`).
    #[test]
    fn code_names_match_the_log_line() {
        for i in 0..=16 {
            let code = Code::from_i32(i);
            assert_eq!(code_name(code), format!("{code:?}").replace("Ok", "OK"));
        }
    }
}
