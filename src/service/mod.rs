//! `tailor serve` (DESIGN §10): the engine as a long-running service on
//! axum and tokio. Handlers ([`api`]) are thin: they parse, take an
//! admission slot ([`queue`]) and call the same [`Engine`] the CLI and the
//! workbench use on tokio's blocking pool (every engine call blocks on a
//! sandbox process). Around them, tower and tower-http layers: a body
//! limit, a deadline, panic catching, tracing, and the token check
//! ([`auth`]) that reads each route's role from [`ROUTES`], the table
//! `openapi.yaml` is tested against.

pub mod api;
pub mod auth;
pub mod bench;
pub mod client;
pub mod config;
pub mod error;
pub mod fleet_bench;
pub mod metrics;
pub mod profiles;
pub mod queue;

use crate::cache::CacheConfig;
use crate::engine::PoolSizes;
use crate::engine::{Engine, EngineConfig, EngineError};
use auth::{Role, TokenCheck, Tokens};
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
pub use config::{ServeArgs, Settings};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_http::validate_request::ValidateRequestHeaderLayer;

/// One route: what `openapi.yaml` documents and the role it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub role: Role,
}

const fn route(method: &'static str, path: &'static str, role: Role) -> Route {
    Route { method, path, role }
}

/// Every route the service answers (paths in axum's `{param}` form).
/// Reading the cache or the event stream shows other tenants' code and
/// inputs, so it needs the admin token like every change does.
pub const ROUTES: &[Route] = &[
    route("POST", "/v1/kernels", Role::Client),
    route("POST", "/v1/run", Role::Client),
    route("POST", "/v1/analyze", Role::Client),
    route("GET", "/v1/profiles", Role::Client),
    route("POST", "/v1/profiles/check", Role::Admin),
    route("GET", "/v1/profiles/{name}", Role::Client),
    route("PUT", "/v1/profiles/{name}", Role::Admin),
    route("DELETE", "/v1/profiles/{name}", Role::Admin),
    route("GET", "/v1/profiles/{name}/history", Role::Admin),
    route("POST", "/v1/profiles/{name}/rollback", Role::Admin),
    route("GET", "/v1/cache", Role::Admin),
    route("DELETE", "/v1/cache", Role::Admin),
    route("GET", "/v1/cache/{key}", Role::Admin),
    route("DELETE", "/v1/cache/{key}", Role::Admin),
    route("GET", "/v1/events", Role::Admin),
    route("GET", "/metrics", Role::Client),
    route("GET", "/healthz", Role::Anyone),
    route("GET", "/readyz", Role::Anyone),
];

/// What every handler shares.
pub struct App {
    pub engine: Engine,
    pub scheduler: Arc<queue::Scheduler>,
    pub metrics: Arc<metrics::Metrics>,
    pub admin: profiles::Admin,
    pub settings: Settings,
    next: AtomicU64,
}

impl App {
    /// The shared state over a running engine.
    pub fn new(settings: Settings, engine: Engine) -> Arc<App> {
        Arc::new(App {
            engine,
            scheduler: queue::Scheduler::new(settings.concurrency, settings.tenant_queue),
            metrics: Arc::new(metrics::Metrics::new()),
            admin: profiles::Admin::new(settings.profiles.clone(), &settings.state_dir),
            settings,
            next: AtomicU64::new(1),
        })
    }

    fn next_request(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Start(String),
}

/// The service's router over `app`, every layer in place.
pub fn router(app: Arc<App>, tokens: Arc<Tokens>) -> Router {
    let (body_limit, deadline) = (
        app.settings.body_mib << 20,
        Duration::from_millis(app.settings.request_ms),
    );
    Router::new()
        .route("/v1/kernels", post(api::upload))
        .route("/v1/run", post(api::run))
        .route("/v1/analyze", post(api::analyze))
        .route("/v1/profiles", get(api::list_profiles))
        .route("/v1/profiles/check", post(api::check_profile))
        .route(
            "/v1/profiles/{name}",
            get(api::get_profile)
                .put(api::put_profile)
                .delete(api::delete_profile),
        )
        .route("/v1/profiles/{name}/history", get(api::profile_history))
        .route("/v1/profiles/{name}/rollback", post(api::rollback))
        .route("/v1/cache", get(api::cache_list).delete(api::cache_clear))
        .route(
            "/v1/cache/{key}",
            get(api::cache_show).delete(api::cache_remove),
        )
        .route("/v1/events", get(api::events))
        .route("/metrics", get(api::metrics))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route_layer(ValidateRequestHeaderLayer::custom(TokenCheck { tokens }))
        .with_state(app)
        // Innermost first. The body limit bounds every body; axum's own
        // 2 MiB default would cut multipart uploads below it.
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            deadline,
        ))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
}

/// Runs the service until SIGINT or SIGTERM; `say` gets the lines an
/// operator must see (the address, a generated admin token once).
pub fn serve(settings: Settings, say: impl Fn(&str)) -> Result<(), ServiceError> {
    let (admin_token, made) =
        auth::admin_token(settings.admin_token.as_deref(), &settings.state_dir)
            .map_err(ServiceError::Start)?;
    let tokens = Arc::new(Tokens::new(admin_token.clone(), &settings.tenants));
    let engine = Engine::new(EngineConfig {
        profiles: settings.profiles.clone(),
        cache: CacheConfig {
            max_entries: settings.cache_entries,
            max_bytes: settings.cache_mib << 20,
            dir: settings.cache_dir.clone(),
            disk_max_bytes: (settings.disk_cache_mib as u64) << 20,
        },
        pools: PoolSizes {
            workers: settings.workers,
            executors: settings.executors,
        },
        shadow: settings.shadow,
        fleet: settings.fleet.clone(),
        key_budget: crate::engine::KeyBudgetConfig {
            limit: settings.key_limit,
            window: std::time::Duration::from_secs(settings.key_window_secs),
        },
    })?;
    engine.serve_tiered(settings.tiered);
    // Files edited on disk go live as the workbench's do, and the folder
    // is followed as it is deleted, made again or swapped for another.
    let watched = engine.clone();
    let dir = settings.profiles.clone();
    let (_watcher, began) = crate::profile::watch::follow(&settings.profiles, move |event| {
        use crate::profile::watch::FolderEvent;
        let reload = |f: &std::path::Path| {
            let reload = watched.reload_file(f);
            tracing::info!(target: "tailor::service", file = %f.display(), "profile reload: {reload:?}");
        };
        match event {
            FolderEvent::Changed(files) => files.iter().for_each(|f| reload(f)),
            FolderEvent::Error(e) => {
                tracing::warn!(target: "tailor::service", "watching profiles: {e}")
            }
            FolderEvent::Gone => tracing::warn!(
                target: "tailor::service",
                "profiles folder {} was deleted; the profiles loaded stay live until it is back",
                dir.display()
            ),
            FolderEvent::Appeared => {
                tracing::info!(target: "tailor::service", "profiles folder {} appeared: reading it whole", dir.display());
                let store = watched.store();
                let known = crate::profile::watch::store_files(&store);
                for f in crate::profile::watch::files_to_rescan(&dir, known) {
                    reload(&f);
                }
            }
        }
    });
    if let crate::profile::watch::Began::Failed(e) = &began {
        say(&format!(
            "warning: {e}; profiles change only through the API"
        ));
    }
    let app = App::new(settings, engine);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tailor-serve")
        .build()
        .map_err(|e| ServiceError::Start(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listen: SocketAddr = app.settings.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| ServiceError::Start(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServiceError::Start(e.to_string()))?;
        say(&format!("tailor serve: listening on http://{addr}"));
        if let Some(path) = made {
            say(&format!(
                "tailor serve: made an admin token, saved in {} (mode 0600); it is shown this once: {admin_token}",
                path.display()
            ));
        }
        let routes = router(app, tokens);
        axum::serve(listener, routes)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| ServiceError::Start(format!("the server stopped: {e}")))
    })
}

async fn shutdown() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
