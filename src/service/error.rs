//! Every error the service answers is JSON: `{"error": MESSAGE, "status":
//! CODE}` plus, where there is more to say, `details` (a profile's errors
//! with file, line and node). [`EngineError`]s map to statuses by whose
//! fault they are: the request's (4xx) or the service's (5xx).

use crate::engine::EngineError;
use axum::body::Body;
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub details: Option<Value>,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    pub fn bad(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub fn into_response_body(self) -> Response<Body> {
        let mut body = json!({ "error": self.message, "status": self.status.as_u16() });
        if let Some(d) = self.details {
            body["details"] = d;
        }
        let mut r = Response::new(Body::from(body.to_string()));
        *r.status_mut() = self.status;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        self.into_response_body()
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        let status = match &e {
            EngineError::Input(_) => StatusCode::BAD_REQUEST,
            EngineError::Kernel(_) | EngineError::Refused(_) | EngineError::Generic { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            EngineError::UnknownKernel(_) | EngineError::UnknownProfile { .. } => {
                StatusCode::NOT_FOUND
            }
            EngineError::Cache(_) | EngineError::Host(_) | EngineError::Fleet(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            EngineError::Sandbox(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        ApiError::new(status, e.to_string())
    }
}

/// Turns any error answer that is not JSON (axum's own rejections, a
/// layer's 413 or 408) into the JSON shape, so a client parses every
/// error the same way.
pub async fn json_errors(response: axum::response::Response) -> axum::response::Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let retry = response.headers().get(header::RETRY_AFTER).cloned();
    let (_, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the body is larger than this service accepts (see body_mib)".to_owned()
        }
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => {
            "the request passed its deadline (see request_ms)".to_owned()
        }
        StatusCode::NOT_FOUND if text.is_empty() => "no such route; see openapi.yaml".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this route does not take that method".to_owned(),
        _ if text.is_empty() => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase(),
        _ => text,
    };
    let mut r = ApiError::new(status, message).into_response_body();
    if let Some(v) = retry {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}
