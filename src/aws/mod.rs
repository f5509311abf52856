//! The AWS-protocol front end: RAM's own wire protocol (rest-json, API
//! 2018-01-04) over HTTP/1.1 and cleartext HTTP/2, so AWS SDKs and the AWS
//! CLI can use ramd unchanged (`--aws-listen`).
//!
//! It is a thin translation in front of the same core as gRPC: a request is
//! routed by method and path ([`model::ROUTES`], generated from the AWS
//! model), its caller identified from the SigV4 `Authorization` header, its
//! JSON body transcoded to the RPC's protobuf request ([`transcode`]), and
//! the RPC called on the very [`RamService`] that serves gRPC, through
//! [`RamService::call_encoded`], with the caller attached as an
//! [`Authenticated`] request extension. Identity, idempotency, journaling,
//! durability, logging and errors are therefore those of gRPC. The encoded
//! response is transcoded back to JSON; a failure becomes the AWS error: the
//! model's HTTP status for the exception named by the status's
//! `google.rpc.ErrorInfo.reason`, `x-amzn-ErrorType` and a
//! `{"__type", "message"}` body. Every response carries `x-amzn-RequestId`.
//!
//! Errors of the front end itself: no route is 404 UnknownOperationException;
//! a body that is not a JSON object, or a member of the wrong JSON type, is
//! 400 SerializationException; an enum string the model does not define is
//! 400 InvalidParameterException (the core's word for bad values); a body
//! over [`MAX_BODY_BYTES`] is 413 RequestEntityTooLargeException.

pub mod model;
pub mod sigv4;
pub mod transcode;

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::Status;
use tonic_types::StatusExt;

use crate::api::auth::Authenticated;
use crate::api::ram::RamService;
use crate::api::{Auth, Caller, Shared};
use crate::core::arn::is_account_id;
use transcode::Transcoder;

/// The largest request body accepted, as gRPC's default message limit.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Response headers of every reply.
const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-requestid");
const ERROR_TYPE: http::HeaderName = http::HeaderName::from_static("x-amzn-errortype");
const JSON: http::HeaderValue = http::HeaderValue::from_static("application/json");

/// The SigV4 service name of RAM.
const SERVICE: &str = "ram";

/// An AWS-protocol error: HTTP status, exception name and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
    /// Whether the core reported it (and so already logged the request).
    pub from_core: bool,
}

impl AwsError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> AwsError {
        AwsError {
            status,
            code: Cow::Borrowed(code),
            message: message.into(),
            from_core: false,
        }
    }

    /// The AWS error of a gRPC status: the exception is the status's
    /// `ErrorInfo.reason`, its HTTP status the model's.
    pub fn from_status(status: &Status) -> AwsError {
        let code = status
            .get_details_error_info()
            .map(|info| info.reason)
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "ServerInternalException".to_string());
        AwsError {
            status: http_status(&code),
            code: Cow::Owned(code),
            message: status.message().to_string(),
            from_core: true,
        }
    }

    fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"__type": self.code, "message": self.message}))
            .unwrap_or_default()
    }
}

/// The HTTP status of an exception: the model's, 403 for the
/// authentication and authorization errors outside the model, else 400.
pub fn http_status(exception: &str) -> u16 {
    if let Some((_, status)) = model::ERRORS.iter().find(|(e, _)| *e == exception) {
        return *status;
    }
    match exception {
        "UnrecognizedClientException"
        | "AccessDeniedException"
        | "InvalidSignatureException"
        | "MissingAuthenticationTokenException" => 403,
        _ => 400,
    }
}

/// The front end: the RAM service it calls and the transcoder tables.
#[derive(Debug)]
pub struct Frontend {
    ram: RamService,
    shared: Arc<Shared>,
    transcoder: Transcoder,
}

impl Frontend {
    pub fn new(shared: Arc<Shared>) -> Result<Frontend, String> {
        Ok(Frontend {
            ram: RamService::new(shared.clone()),
            shared,
            transcoder: Transcoder::new(crate::pb::FILE_DESCRIPTOR_SET)?,
        })
    }

    /// Serves one HTTP request.
    pub async fn handle(&self, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let result = match self
            .transcoder
            .route(parts.method.as_str(), parts.uri.path())
        {
            Ok(op) => match Limited::new(body, MAX_BODY_BYTES).collect().await {
                Ok(collected) => self.call(op, &parts, &collected.to_bytes()).await,
                Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(AwsError::new(
                    413,
                    "RequestEntityTooLargeException",
                    format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
                )),
                Err(e) => Err(AwsError::new(
                    400,
                    "SerializationException",
                    format!("The request body could not be read: {e}."),
                )),
            },
            Err(e) => Err(e),
        };
        let request_id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = request_id.hyphenated().encode_lower(&mut id);
        let (status, body, error_type) = match result {
            Ok(body) => (200, body, None),
            Err(e) => {
                // The core logs the requests it served; the front end logs
                // the ones it refused itself, in the same shape.
                if !e.from_core {
                    tracing::info!(
                        method = "-",
                        path = parts.uri.path(),
                        status = e.status,
                        reason = %e.code,
                        latency_us = started.elapsed().as_micros() as u64,
                        "request"
                    );
                }
                (
                    e.status,
                    e.body(),
                    http::HeaderValue::from_str(&e.code).ok(),
                )
            }
        };
        let mut response = http::Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, JSON);
        if let Ok(id) = http::HeaderValue::from_str(id) {
            headers.insert(REQUEST_ID, id);
        }
        if let Some(error_type) = error_type {
            headers.insert(ERROR_TYPE, error_type);
        }
        response
    }

    async fn call(
        &self,
        op: &transcode::Operation,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<Vec<u8>, AwsError> {
        let caller = self.caller(parts, body)?;
        let encoded = self
            .transcoder
            .encode_request(op, body, parts.uri.query())?;
        let mut request = tonic::Request::new(Bytes::from(encoded));
        request.extensions_mut().insert(Authenticated(caller));
        match self.ram.call_encoded(op.route.operation, request).await {
            Some(Ok(response)) => self.transcoder.write_response(op, &response).map_err(|e| {
                tracing::error!(operation = op.route.operation, error = %e, "response does not transcode");
                AwsError::new(
                    500,
                    "ServerInternalException",
                    "The service encountered an internal error. Try again later.",
                )
            }),
            Some(Err(status)) => Err(AwsError::from_status(&status)),
            None => Err(AwsError::new(
                404,
                "UnknownOperationException",
                format!("{} is not served.", op.route.operation),
            )),
        }
    }

    /// The caller of a request, from its SigV4 `Authorization` header.
    ///
    /// Header mode: a 12-digit access key id names the account; any other
    /// key, or none, is the server's default account; the signature is not
    /// checked. Token mode: the access key id must be a token of the tokens
    /// file with a `secretKey`, and the signature must verify under it.
    /// Admin rights are never granted through this front end.
    fn caller(&self, parts: &http::request::Parts, body: &[u8]) -> Result<Caller, AwsError> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        match &self.shared.auth {
            Auth::Header { default_account } => {
                let account = header
                    .and_then(sigv4::parse_authorization)
                    .map(|a| a.access_key_id)
                    .filter(|id| is_account_id(id))
                    .unwrap_or(default_account);
                Ok(Caller {
                    account: account.to_string(),
                    admin: false,
                })
            }
            Auth::Token { tokens } => {
                let value = header.ok_or_else(|| {
                    AwsError::new(
                        403,
                        "MissingAuthenticationTokenException",
                        "Missing Authentication Token: sign the request with AWS Signature Version 4.",
                    )
                })?;
                let auth = sigv4::parse_authorization(value).ok_or_else(|| {
                    AwsError::new(
                        400,
                        "IncompleteSignatureException",
                        "The Authorization header must be AWS4-HMAC-SHA256 with Credential, \
                         SignedHeaders and Signature.",
                    )
                })?;
                let invalid = |message: String| AwsError {
                    status: 403,
                    code: Cow::Borrowed("InvalidSignatureException"),
                    message,
                    from_core: false,
                };
                if auth.service != SERVICE {
                    return Err(invalid(format!(
                        "Credential should be scoped to correct service: '{SERVICE}'."
                    )));
                }
                let table = tokens.current();
                let credential = table
                    .bearer(auth.access_key_id)
                    .filter(|c| c.secret_key.is_some())
                    .ok_or_else(|| {
                        AwsError::new(
                            403,
                            "UnrecognizedClientException",
                            "The security token included in the request is invalid.",
                        )
                    })?;
                let secret = credential
                    .secret_key
                    .as_ref()
                    .map(|s| s.expose())
                    .unwrap_or("");
                let signed = sigv4::SignedRequest {
                    method: parts.method.as_str(),
                    path: parts.uri.path(),
                    query: parts.uri.query(),
                    headers: &parts.headers,
                    authority: parts.uri.authority().map(|a| a.as_str()),
                    body,
                };
                sigv4::verify(&signed, &auth, secret, chrono::Utc::now()).map_err(invalid)?;
                Ok(Caller {
                    account: credential.account.clone(),
                    admin: false,
                })
            }
        }
    }
}

/// Binds the AWS-protocol port.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (--aws-listen): {e}"))
}

/// Serves the AWS protocol on `listener` until `shutdown` turns true, then
/// stops accepting and lets open connections finish their requests (up to
/// `grace`).
pub async fn serve(
    listener: TcpListener,
    frontend: Arc<Frontend>,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    if let Ok(addr) = listener.local_addr() {
        if !addr.ip().is_loopback() && matches!(frontend.shared.auth, Auth::Header { .. }) {
            tracing::warn!(
                %addr,
                "the AWS-protocol port is reachable from other machines in header mode: \
                 any caller can act as any account; use --auth token"
            );
        }
        tracing::info!(%addr, "AWS protocol (rest-json) serving");
    }
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "AWS-protocol accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let frontend = frontend.clone();
                let service = service_fn(move |req| {
                    let frontend = frontend.clone();
                    async move { Ok::<_, Infallible>(frontend.handle(req).await) }
                });
                let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "AWS-protocol connection ended with an error");
                    }
                });
            }
            _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!(?grace, "grace period over: closing remaining AWS-protocol connections");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use tonic_types::ErrorDetails;

    #[test]
    fn statuses_become_aws_errors() {
        let status = crate::api::status::to_status(&crate::error::Error::PermissionAlreadyExists(
            "exists".into(),
        ));
        let e = AwsError::from_status(&status);
        assert_eq!(
            (e.status, e.code.as_ref(), e.message.as_str()),
            (409, "PermissionAlreadyExistsException", "exists")
        );
        let throttled = Status::with_error_details(
            tonic::Code::ResourceExhausted,
            "slow down",
            ErrorDetails::with_error_info(
                "ThrottlingException",
                "ram",
                HashMap::<String, String>::new(),
            ),
        );
        assert_eq!(AwsError::from_status(&throttled).status, 429);
        let bare = AwsError::from_status(&Status::internal("boom"));
        assert_eq!(
            (bare.status, bare.code.as_ref()),
            (500, "ServerInternalException")
        );
        assert_eq!(http_status("UnrecognizedClientException"), 403);
        assert_eq!(http_status("UnknownResourceException"), 400);
        assert_eq!(http_status("ServiceUnavailableException"), 503);
    }
}
