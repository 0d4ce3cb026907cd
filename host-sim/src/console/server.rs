//! The console's HTTP server: the page's three files and the JSON API, every answer with the
//! headers that keep a browser from doing anything the page did not mean.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::Body,
    extract::{ConnectInfo, Path, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde::de::DeserializeOwned;

use super::{
    api::{ApiError, Console},
    guard,
};
use plaid_idv_retry_interface::Exit;

use crate::error::Failure;

/// Only this server's own files: no inline script or style, no framing, no form posts, no
/// plugins. Everything the page shows is set as text, so even a slip would render nothing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

struct Server {
    console: Console,
    port: u16,
    /// The run's key, when the console listens beyond loopback.
    key: Option<String>,
}

type Shared = State<Arc<Server>>;

/// Where the console receives Plaid's webhooks: not an `/api/` route (no browser calls it, and no
/// key), answered only to a loopback peer whose webhook's signature verifies.
pub const WEBHOOK_PATH: &str = "/webhooks/plaid";

/// Prints the banner, and serves on `listener` (bound already: the embedded simulator's webhooks
/// are aimed at it) until the process is stopped.
pub fn serve(
    listener: std::net::TcpListener,
    console: Console,
    key: Option<String>,
) -> Result<Exit, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("host-sim-console")
        .enable_all()
        .build()?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Failure::error(format!("cannot listen on {bound}: {e}")))?
    };
    let billed = console.billed();
    say(&format!("listening on http://{bound}"));
    if let Some(key) = &key {
        // The key rides in the fragment: browsers never send it, in a request or a Referer.
        say(&format!(
            "open http://{bound}/#key={key} (plain HTTP: the form's personal data travels unencrypted)"
        ));
    }
    say(&format!("Test requests go to {}", console.target_description()));
    if billed {
        say("production: every Test request opens a session Plaid bills; the page asks each time");
    }
    if !bound.ip().is_loopback() {
        eprintln!("host-sim: warning: the console is reachable from other machines at {bound}");
    }
    let server = Arc::new(Server { console, port: bound.port(), key });
    let app = Router::new()
        .route("/", get(|| async { asset("text/html; charset=utf-8", include_str!("assets/index.html")) }))
        .route(
            "/console.css",
            get(|| async { asset("text/css; charset=utf-8", include_str!("assets/console.css")) }),
        )
        .route(
            "/console.js",
            get(|| async { asset("text/javascript; charset=utf-8", include_str!("assets/console.js")) }),
        )
        .route("/api/catalog", get(|State(s): Shared| async move { s.console.catalog() }))
        .route("/api/input-schema", get(|State(s): Shared| async move { s.console.input_schema() }))
        .route("/api/preset", post(preset))
        .route("/api/validate", post(validate))
        .route("/api/test-request", post(test_request))
        .route(
            "/api/sessions/{id}",
            get(|State(s): Shared, Path(id): Path<String>| async move {
                s.console.session(&id).map_err(|e| s.console.scrub_error(e))
            }),
        )
        .route(WEBHOOK_PATH, post(webhook))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such page").into_response()
        })
        .layer(middleware::from_fn_with_state(server.clone(), guarded))
        .with_state(server);
    runtime
        .block_on(async {
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
        })
        .map_err(|e| Failure::error(format!("the console stopped: {e}")))?;
    Ok(Exit::Success)
}

/// Prints a banner line; a reader that went away does not stop the server.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// The guard before every route, and the security headers after it.
async fn guarded(State(server): Shared, request: Request, next: Next) -> Response {
    let keyed = match &server.key {
        Some(key) if request.uri().path().starts_with("/api/") => guard::has_key(request.headers(), key),
        _ => Ok(()),
    };
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let checked = if request.uri().path() == WEBHOOK_PATH {
        guard::check_webhook(request.headers(), server.port, peer)
    } else {
        guard::check(request.method(), request.headers(), server.port)
    };
    let mut response = match keyed.and(checked) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            // For whoever runs the console: a page elsewhere tried something.
            eprintln!(
                "host-sim console: refused {} {}: {}",
                request.method(),
                request.uri().path(),
                refusal.0
            );
            ApiError::new(StatusCode::FORBIDDEN, "forbidden", refusal.0).into_response()
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
        (header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The body as JSON of the route's shape, at most [`guard::MAX_BODY`] bytes.
async fn read<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, guard::MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body must be at most {} bytes", guard::MAX_BODY),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        // serde names unknown and missing fields; its other messages may quote a value (`invalid
        // type: string "…"`), and a value may be personal data: those give the position only.
        let text = e.to_string();
        let message = if text.starts_with("unknown field") || text.starts_with("missing field") {
            format!("the body is not valid: {text}")
        } else {
            format!(
                "the body is not valid JSON of this route's shape (line {}, column {})",
                e.line(),
                e.column()
            )
        };
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message)
    })
}

async fn preset(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let body = read(request.into_body()).await?;
    s.console.preset(body).map_err(|e| s.console.scrub_error(e))
}

async fn validate(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let body = read(request.into_body()).await?;
    s.console.validate(body).map_err(|e| s.console.scrub_error(e))
}

/// A webhook: its body read as received (the signature covers those bytes), and verified on a
/// blocking thread (a key may have to be fetched first).
async fn webhook(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let signature =
        request.headers().get(plaid_idv_webhook::HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body =
        axum::body::to_bytes(request.into_body(), plaid_idv_webhook::MAX_BODY_BYTES).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("a webhook is at most {} bytes", plaid_idv_webhook::MAX_BODY_BYTES),
            )
        })?;
    tokio::task::spawn_blocking(move || s.console.webhook(signature.as_deref(), &body)).await.map_err(
        |_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the webhook was not handled"),
    )?
}

/// `execute` blocks (network, timeouts): it runs on a blocking thread, not on the server's.
async fn test_request(State(s): Shared, request: Request) -> Result<Response, ApiError> {
    let body = read(request.into_body()).await?;
    tokio::task::spawn_blocking(move || s.console.test_request(body).map_err(|e| s.console.scrub_error(e)))
        .await
        .map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "the Test request did not finish")
        })?
}
