//! The handlers: each parses what it is sent, takes an admission slot
//! where it does real work, and hands the work to the blocking pool as a
//! call on the same [`Engine`] the CLI and the workbench use. Nothing here
//! decides anything the engine decides.

use super::auth::Caller;
use super::error::ApiError;
use super::App;
use crate::engine::{EngineError, KernelRef, KernelSource, Request as EngineRequest, Response};
use crate::input::{ArrayView, Buffer, InputSpec};
use crate::kernel::{Kernel, SourceKind};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;

type Answer = Result<HttpResponse, ApiError>;

/// Runs `work` on the blocking pool under an admission slot of the
/// caller's tenant. The slot is released when the work ends, even if the
/// client has gone (the work finishes; its answer is dropped).
async fn admitted<T: Send + 'static>(
    app: &Arc<App>,
    caller: &Caller,
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let permit = match app.scheduler.acquire(&caller.tenant).await {
        Ok(p) => p,
        Err(full) => {
            app.metrics.record_throttled();
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "tenant `{}` has {} requests waiting, the most it may; retry shortly",
                    full.tenant, full.queued
                ),
            );
            e.retry_after = Some(1);
            return Err(e);
        }
    };
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request's work failed: {e}"),
        )
    })?
}

/// The body, whole (the body-limit layer bounds it).
async fn body_bytes(request: Request) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), usize::MAX)
        .await
        .map_err(|e| {
            let mut cause: Option<&(dyn std::error::Error + 'static)> =
                std::error::Error::source(&e);
            let mut too_big = false;
            while let Some(c) = cause {
                too_big |= c.is::<http_body_util::LengthLimitError>();
                cause = c.source();
            }
            if too_big {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "the body is larger than this service accepts (see body_mib)",
                )
            } else {
                ApiError::bad(format!("cannot read the body: {e}"))
            }
        })
}

fn is_json(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/json")
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn json_answer(status: StatusCode, v: Value) -> HttpResponse {
    (status, Json(v)).into_response()
}

fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad(format!("invalid JSON: {e}")))
}

// ------------------------------------------------------------ kernels

fn source_kind(format: &str) -> Result<SourceKind, ApiError> {
    match format {
        "ll" => Ok(SourceKind::Ll),
        "bc" => Ok(SourceKind::Bc),
        "c" => Ok(SourceKind::C),
        other => Err(ApiError::bad(format!(
            "format `{other}` is not one of `ll`, `bc`, `c`"
        ))),
    }
}

fn kernel_name(name: Option<&str>) -> Result<String, ApiError> {
    let name = name.unwrap_or("kernel");
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(ApiError::bad(format!(
            "kernel name `{name}` must be 1 to 64 letters, digits, `_` or `-`"
        )))
    }
}

fn str_field<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Option<&'a str>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ApiError::bad(format!(
            "`{what}{key}` must be a string, found {other}"
        ))),
    }
}

/// User code sent inline: `{"source": TEXT, "format": "c"|"ll", "name"?, "entry"?}`.
fn inline_source(m: &Map<String, Value>, what: &str) -> Result<KernelSource, ApiError> {
    for k in m.keys() {
        if !["source", "format", "name", "entry"].contains(&k.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown key `{what}{k}` (a kernel sent as source has source, format, name, entry)"
            )));
        }
    }
    let source = str_field(m, "source", what)?
        .ok_or_else(|| ApiError::bad(format!("`{what}source` is missing")))?;
    let format = source_kind(
        str_field(m, "format", what)?
            .ok_or_else(|| ApiError::bad(format!("`{what}format` is missing (`c` or `ll`)")))?,
    )?;
    if format == SourceKind::Bc {
        return Err(ApiError::bad(
            "bitcode cannot travel in JSON; upload it with POST /v1/kernels?format=bc",
        ));
    }
    let name = kernel_name(str_field(m, "name", what)?)?;
    let ext = match format {
        SourceKind::C => "c",
        _ => "ll",
    };
    Ok(KernelSource {
        name: PathBuf::from(format!("{name}.{ext}")),
        format,
        bytes: source.as_bytes().to_vec(),
        entry: str_field(m, "entry", what)?.map(str::to_owned),
    })
}

fn kernel_json(k: &Kernel) -> Value {
    json!({
        "hash": k.hash,
        "name": k.name,
        "entry": k.signature.entry,
        "signature": k.signature.to_string(),
        "externals": k.externals.iter().map(|e| e.name.clone()).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    format: Option<String>,
    name: Option<String>,
    entry: Option<String>,
}

/// `POST /v1/kernels`: JSON `{"source", "format", ...}`, or the code as
/// the body with `?format=ll|bc|c&name=..&entry=..` (bitcode is
/// recognized by its magic).
pub async fn upload(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Answer {
    let Query(q) = query.map_err(|e| ApiError::bad(e.body_text()))?;
    let json_body = is_json(request.headers());
    let bytes = body_bytes(request).await?;
    let source = if json_body {
        let v = parse_json(&bytes)?;
        let Value::Object(m) = v else {
            return Err(ApiError::bad(
                "expected a JSON object {\"source\", \"format\"}",
            ));
        };
        inline_source(&m, "")?
    } else {
        let format = match q.format.as_deref() {
            Some(f) => source_kind(f)?,
            None if bytes.starts_with(b"BC\xc0\xde") => SourceKind::Bc,
            None => {
                return Err(ApiError::bad(
                    "say the code's format: ?format=ll, ?format=c or ?format=bc",
                ))
            }
        };
        let name = kernel_name(q.name.as_deref())?;
        let ext = match format {
            SourceKind::C => "c",
            SourceKind::Bc => "bc",
            SourceKind::Ll => "ll",
        };
        KernelSource {
            name: PathBuf::from(format!("{name}.{ext}")),
            format,
            bytes: bytes.to_vec(),
            entry: q.entry,
        }
    };
    if source.bytes.len() as u64 > crate::engine::MAX_SOURCE {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("kernel source over {} MiB", crate::engine::MAX_SOURCE >> 20),
        ));
    }
    let engine = app.engine.clone();
    let kernel = admitted(&app, &caller, move || {
        engine.register(&source).map_err(ApiError::from)
    })
    .await?;
    Ok(json_answer(StatusCode::CREATED, kernel_json(&kernel)))
}

// ------------------------------------------------------------ run

/// How outputs come back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OutputsAs {
    /// Every element, as JSON numbers in an input spec's `data:` shape.
    Data,
    /// Length and the first values.
    Summary,
    /// Each array as a `.npy` file, base64.
    Npy,
}

/// A parsed `POST /v1/run` body.
struct RunBody {
    kernel: KernelRef,
    bindings: serde_yaml::Value,
    profile: Option<String>,
    outputs: OutputsAs,
}

const RUN_KEYS: [&str; 6] = ["kernel", "entry", "args", "out", "profile", "outputs"];

fn run_body(v: Value) -> Result<RunBody, ApiError> {
    let Value::Object(mut m) = v else {
        return Err(ApiError::bad(
            "expected a JSON object with `kernel`, `args` and `out`",
        ));
    };
    for k in m.keys() {
        if !RUN_KEYS.contains(&k.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown key `{k}` (a run request has {})",
                RUN_KEYS.join(", ")
            )));
        }
    }
    let kernel = match m.remove("kernel") {
        Some(Value::Object(k)) if k.contains_key("hash") => {
            if k.len() > 1 {
                return Err(ApiError::bad(
                    "`kernel` names a registered kernel by `hash` alone, or sends `source` and `format`",
                ));
            }
            match k.get("hash") {
                Some(Value::String(h)) if !h.is_empty() => KernelRef::Hash(h.clone()),
                other => {
                    return Err(ApiError::bad(format!(
                        "`kernel.hash` must be the hash POST /v1/kernels answered, found {}",
                        other.cloned().unwrap_or(Value::Null)
                    )))
                }
            }
        }
        Some(Value::Object(k)) => KernelRef::Source(inline_source(&k, "kernel.")?),
        None => {
            return Err(ApiError::bad(
                "`kernel` is missing: {\"hash\": H} or {\"source\": TEXT, \"format\": \"c\"|\"ll\"}",
            ))
        }
        Some(other) => {
            return Err(ApiError::bad(format!(
                "`kernel` must be {{\"hash\": H}} or {{\"source\": TEXT, \"format\": ...}}, found {other}"
            )))
        }
    };
    let profile = match m.remove("profile") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            return Err(ApiError::bad(format!(
                "`profile` must be a profile's name, found {other}"
            )))
        }
    };
    let outputs = match m.remove("outputs") {
        None | Some(Value::Null) => OutputsAs::Data,
        Some(Value::String(s)) => match s.as_str() {
            "data" => OutputsAs::Data,
            "summary" => OutputsAs::Summary,
            "npy" => OutputsAs::Npy,
            other => {
                return Err(ApiError::bad(format!(
                    "`outputs` is `{other}`; it is `data` (default), `summary` or `npy`"
                )))
            }
        },
        Some(other) => {
            return Err(ApiError::bad(format!(
                "`outputs` must be `data`, `summary` or `npy`, found {other}"
            )))
        }
    };
    // What is left is the input spec's part: entry, args, out.
    let bindings = serde_yaml::to_value(Value::Object(m))
        .map_err(|e| ApiError::bad(format!("the bindings do not convert: {e}")))?;
    Ok(RunBody {
        kernel,
        bindings,
        profile,
        outputs,
    })
}

/// A multipart body: a `request` part (the JSON body) and data parts,
/// each named by its file name (else its field name), for `file:` to name.
async fn multipart_body(
    app: &Arc<App>,
    request: Request,
) -> Result<(Value, BTreeMap<String, Vec<u8>>), ApiError> {
    let mut form = Multipart::from_request(request, app)
        .await
        .map_err(|e| ApiError::bad(format!("not a multipart body: {}", e.body_text())))?;
    let mut json_part = None;
    let mut parts = BTreeMap::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad(format!("a broken multipart body: {}", e.body_text())))?
    {
        let name = field.name().unwrap_or("").to_owned();
        let file = field.file_name().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad(format!("part `{name}`: {}", e.body_text())))?;
        if name == "request" && file.is_none() {
            json_part = Some(parse_json(&bytes)?);
            continue;
        }
        let key = file.unwrap_or(name);
        if key.is_empty() {
            return Err(ApiError::bad("a data part has no name"));
        }
        if parts.insert(key.clone(), bytes.to_vec()).is_some() {
            return Err(ApiError::bad(format!("two parts are named `{key}`")));
        }
    }
    let v = json_part.ok_or_else(|| {
        ApiError::bad("the multipart body has no `request` part (the JSON of the run)")
    })?;
    Ok((v, parts))
}

fn array_json(b: &Buffer, head: Option<usize>) -> Value {
    let n = head.unwrap_or(usize::MAX).min(b.len());
    let data: Vec<Value> = match b.view() {
        ArrayView::I32(v) => v[..n].iter().map(|x| json!(x)).collect(),
        ArrayView::I64(v) => v[..n].iter().map(|x| json!(x)).collect(),
        ArrayView::F32(v) => v[..n].iter().map(|x| json!(x)).collect(),
        ArrayView::F64(v) => v[..n].iter().map(|x| json!(x)).collect(),
    };
    let mut m = json!({ "array": b.elem().to_string(), "len": b.len() });
    m[if head.is_some() { "head" } else { "data" }] = Value::Array(data);
    m
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn run_json(r: &Response, outputs: OutputsAs) -> Value {
    let outs: Map<String, Value> = r
        .out_arrays
        .iter()
        .map(|(name, b)| {
            let v = match outputs {
                OutputsAs::Data => array_json(b, None),
                OutputsAs::Summary => array_json(b, Some(8)),
                OutputsAs::Npy => json!({
                    "array": b.elem().to_string(),
                    "len": b.len(),
                    "npy_base64": base64(&crate::input::to_npy(b)),
                }),
            };
            (name.clone(), v)
        })
        .collect();
    json!({
        "request": r.request,
        "kernel": r.kernel,
        "profile": r.profile,
        "plan": r.plan,
        "cache": { "hit": r.hit, "tier": r.tier, "key": r.key },
        "served_by": r.served_by,
        "served_key": r.served_key,
        "verification": r.verification,
        "timed": r.timed,
        "chain": r.chain,
        "deferred": r.deferred,
        "outcome": r.execution.outcome,
        "isolation": r.execution.isolation,
        "result": r.result,
        "outputs": outs,
        "timings": r.timings,
    })
}

/// A run request as `/v1/run` and `/v1/analyze` take it: JSON, or a
/// multipart body of the JSON and its data parts.
async fn run_request(
    app: &Arc<App>,
    request: Request,
) -> Result<(RunBody, BTreeMap<String, Vec<u8>>), ApiError> {
    let multipart = content_type(request.headers()).starts_with("multipart/form-data");
    let (body, parts) = if multipart {
        multipart_body(app, request).await?
    } else {
        (parse_json(&body_bytes(request).await?)?, BTreeMap::new())
    };
    Ok((run_body(body)?, parts))
}

/// `POST /v1/run`.
pub async fn run(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Answer {
    let (body, parts) = run_request(&app, request).await?;
    let engine = app.engine.clone();
    let metrics = app.metrics.clone();
    let tenant = caller.tenant.clone();
    let id = app.next_request();
    let answer = admitted(&app, &caller, move || {
        let label = PathBuf::from(format!("{tenant}/request-{id}"));
        let kernel = match &body.kernel {
            KernelRef::Hash(h) => engine.kernel(h),
            KernelRef::Source(s) => engine.register(s),
        };
        let made = kernel.and_then(|k| {
            let spec = InputSpec::from_request(&label, &body.bindings, parts)?;
            let input = spec.materialize(&k.signature)?;
            Ok::<_, EngineError>((k, input))
        });
        let (kernel, input) = made.inspect_err(|_| metrics.record_error())?;
        let response = engine
            .run(EngineRequest {
                kernel: KernelRef::Hash(kernel.hash.clone()),
                input: Arc::new(input),
                profile: body.profile,
                isolation: None,
                tenant: Some(tenant),
                label,
            })
            .inspect_err(|_| metrics.record_error())?;
        metrics.record(&response);
        Ok(run_json(&response, body.outputs))
    })
    .await?;
    Ok(json_answer(StatusCode::OK, answer))
}

/// `POST /v1/analyze`: a run request's characteristic vector, the
/// profile it selects (every candidate's verdict) and its Plan; nothing
/// is built or run.
pub async fn analyze(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Answer {
    let (body, parts) = run_request(&app, request).await?;
    let engine = app.engine.clone();
    let label = PathBuf::from(format!("{}/analysis-{}", caller.tenant, app.next_request()));
    let answer = admitted(&app, &caller, move || {
        let kernel = match &body.kernel {
            KernelRef::Hash(h) => engine.kernel(h)?,
            KernelRef::Source(s) => engine.register(s)?,
        };
        let spec =
            InputSpec::from_request(&label, &body.bindings, parts).map_err(EngineError::from)?;
        let input = spec
            .materialize(&kernel.signature)
            .map_err(EngineError::from)?;
        let at = std::time::Instant::now();
        let vector = crate::analyze::analyze(&input);
        let micros = at.elapsed().as_micros() as u64;
        let prepared = crate::engine::Prepared {
            spec,
            kernel: kernel.clone(),
            input: Arc::new(input),
            vector,
            analysis_micros: micros,
        };
        let d = engine.decide(&prepared);
        Ok(json!({
            "kernel": kernel.name,
            "kernel_hash": kernel.hash,
            "signature": kernel.signature.to_string(),
            "summary": prepared.vector.summary(),
            "sampled": prepared.vector.sampled,
            "micros": micros,
            "features": prepared.vector.features(),
            "selected": d.selection.profile.name,
            "candidates": d.selection.candidates,
            "plan": d.plan.as_ref().ok(),
            "plan_error": d.plan.as_ref().err().map(ToString::to_string),
        }))
    })
    .await?;
    Ok(json_answer(StatusCode::OK, answer))
}

// ------------------------------------------------------------ profiles

fn profile_json(p: &crate::profile::Profile, with_source: bool) -> Value {
    let mut v = json!({
        "name": p.name,
        "priority": p.priority,
        "description": p.description,
        "version": p.version,
        "file": p.file.file_name().map(|f| f.to_string_lossy().into_owned()),
        "nodes": p.nodes.len(),
    });
    if with_source {
        v["source"] = Value::String(p.source.clone());
    }
    v
}

pub async fn list_profiles(State(app): State<Arc<App>>) -> Answer {
    let store = app.engine.store();
    Ok(json_answer(
        StatusCode::OK,
        json!({
            "profiles": store.profiles().iter().map(|p| profile_json(p, false)).collect::<Vec<_>>(),
            "errors": super::profiles::errors_json(store.errors()),
        }),
    ))
}

pub async fn get_profile(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let store = app.engine.store();
    let Some(p) = store.get(&name) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no profile `{name}` is loaded"),
        ));
    };
    let wants_yaml = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("yaml"));
    if wants_yaml {
        return Ok((
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/yaml"),
            )],
            p.source.clone(),
        )
            .into_response());
    }
    Ok(json_answer(StatusCode::OK, profile_json(p, true)))
}

async fn admin_work<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request's work failed: {e}"),
        )
    })?
}

pub async fn put_profile(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    request: Request,
) -> Answer {
    let json_body = is_json(request.headers());
    let text = super::profiles::yaml_text(&body_bytes(request).await?, json_body)?;
    let (profile, changed) = admin_work(move || app.admin.put(&app.engine, &name, &text)).await?;
    let mut v = profile_json(&profile, false);
    v["changed"] = Value::Bool(changed);
    Ok(json_answer(StatusCode::OK, v))
}

pub async fn delete_profile(State(app): State<Arc<App>>, Path(name): Path<String>) -> Answer {
    let shown = name.clone();
    let version = admin_work(move || app.admin.delete(&app.engine, &name)).await?;
    Ok(json_answer(
        StatusCode::OK,
        json!({ "removed": shown, "version": version }),
    ))
}

pub async fn check_profile(State(app): State<Arc<App>>, request: Request) -> Answer {
    let json_body = is_json(request.headers());
    let text = super::profiles::yaml_text(&body_bytes(request).await?, json_body)?;
    let profile = admin_work(move || app.admin.check(&app.engine, None, &text)).await?;
    let mut v = profile_json(&profile, false);
    v["valid"] = Value::Bool(true);
    Ok(json_answer(StatusCode::OK, v))
}

pub async fn profile_history(State(app): State<Arc<App>>, Path(name): Path<String>) -> Answer {
    let versions = admin_work(move || app.admin.history(&app.engine, &name)).await?;
    Ok(json_answer(StatusCode::OK, json!({ "versions": versions })))
}

pub async fn rollback(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Answer {
    let v = parse_json(&body)?;
    let version = v
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad("expected {\"version\": V} (one of GET …/history)"))?
        .to_owned();
    let (profile, changed) =
        admin_work(move || app.admin.rollback(&app.engine, &name, &version)).await?;
    let mut out = profile_json(&profile, false);
    out["changed"] = Value::Bool(changed);
    Ok(json_answer(StatusCode::OK, out))
}

// ------------------------------------------------------------ cache

pub async fn cache_list(State(app): State<Arc<App>>) -> Answer {
    let config = app.engine.cache().config();
    let disk_max_bytes = config.dir.as_ref().map(|_| config.disk_max_bytes);
    let (entries, stats, fleet, server, engine, sandbox) = admin_work(move || {
        let (entries, _) = app.engine.cache().list();
        let (workers, executors) = app.engine.sandbox_pids();
        Ok((
            entries,
            app.engine.cache().stats(),
            app.engine.cache().fleet_stats(),
            app.engine.cache().fleet().and_then(|f| f.server()),
            app.engine.stats(),
            (workers.len(), executors.len()),
        ))
    })
    .await?;
    Ok(json_answer(
        StatusCode::OK,
        json!({
            "entries": entries,
            "stats": stats,
            "fleet": fleet,
            "redis": server,
            "disk_max_bytes": disk_max_bytes,
            "engine": engine,
            "sandbox": {"workers": sandbox.0, "executors": sandbox.1},
        }),
    ))
}

fn cache_error(e: crate::cache::CacheError) -> ApiError {
    use crate::cache::CacheError;
    let status = match &e {
        CacheError::NotFound { .. } => StatusCode::NOT_FOUND,
        CacheError::BadPrefix { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::new(status, e.to_string())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowQuery {
    /// Compile the assembly (in a worker; default true).
    assembly: Option<bool>,
}

pub async fn cache_show(
    State(app): State<Arc<App>>,
    Path(key): Path<String>,
    query: Result<Query<ShowQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Query(q) = query.map_err(|e| ApiError::bad(e.body_text()))?;
    let v = admin_work(move || {
        let v = app.engine.cache().load(&key).map_err(cache_error)?;
        let assembly = if q.assembly.unwrap_or(true) {
            app.engine.assembly(&v.key.0)
        } else {
            Err("not asked for (?assembly=false)".to_owned())
        };
        let mut out = crate::cli::cache::variant_json(&v);
        out["assembly"] = json!(assembly.as_ref().ok());
        out["assembly_error"] = json!(assembly.as_ref().err());
        out["variant"] = json!(&*v);
        Ok(out)
    })
    .await?;
    Ok(json_answer(StatusCode::OK, v))
}

pub async fn cache_remove(State(app): State<Arc<App>>, Path(key): Path<String>) -> Answer {
    let removed = admin_work(move || {
        let v = app.engine.cache().load(&key).map_err(cache_error)?;
        app.engine.cache().remove(&v.key);
        Ok(v.key.0.clone())
    })
    .await?;
    Ok(json_answer(StatusCode::OK, json!({ "removed": removed })))
}

pub async fn cache_clear(State(app): State<Arc<App>>) -> Answer {
    let n = admin_work(move || app.engine.cache().clear().map_err(cache_error)).await?;
    Ok(json_answer(StatusCode::OK, json!({ "removed": n })))
}

// ------------------------------------------------------------ the rest

/// `GET /v1/events`: the engine's events as server-sent events, one
/// `data:` line of JSON each, named by their stage (`received`, …,
/// `finished`).
pub async fn events(
    State(app): State<Arc<App>>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<crate::engine::Event>(1024);
    let from_engine = app.engine.subscribe();
    // The engine's channel is a std one: a thread carries it over, and
    // ends when the client has gone (at the next event).
    std::thread::Builder::new()
        .name("tailor-sse".into())
        .spawn(move || {
            while let Ok(e) = from_engine.recv() {
                match tx.try_send(e) {
                    Ok(()) | Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {}
                    Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => break,
                }
            }
        })
        .ok();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let e = rx.recv().await?;
        let v = serde_json::to_value(&e).unwrap_or(Value::Null);
        let kind = v
            .get("stage")
            .and_then(Value::as_str)
            .unwrap_or("event")
            .to_owned();
        let sse = SseEvent::default().event(kind).data(v.to_string());
        Some((Ok(sse), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

pub async fn metrics(State(app): State<Arc<App>>) -> HttpResponse {
    let text =
        tokio::task::spawn_blocking(move || app.metrics.render(&app.engine, app.scheduler.load()))
            .await
            .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        Body::from(text),
    )
        .into_response()
}

pub async fn healthz() -> HttpResponse {
    json_answer(StatusCode::OK, json!({ "ok": true }))
}

/// Ready when every sandbox process the engine keeps is alive.
pub async fn readyz(State(app): State<Arc<App>>) -> HttpResponse {
    let engine = app.engine.clone();
    let (workers, executors) = tokio::task::spawn_blocking(move || engine.sandbox_pids())
        .await
        .unwrap_or_default();
    let ready = !workers.is_empty() && !executors.is_empty();
    json_answer(
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        json!({ "ready": ready, "workers": workers.len(), "executors": executors.len() }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn a_run_body_says_what_is_wrong_with_it() {
        let e = |v: Value| run_body(v).err().map(|e| e.message).unwrap_or_default();
        assert!(e(json!({"args": []})).contains("`kernel` is missing"));
        assert!(e(json!({"kernel": {"hash": "h"}, "argz": []})).contains("unknown key `argz`"));
        assert!(e(json!({"kernel": {"source": "x"}})).contains("`kernel.format` is missing"));
        assert!(
            e(json!({"kernel": {"hash": "h"}, "outputs": "csv"})).contains("`outputs` is `csv`")
        );
        assert!(run_body(json!({"kernel": {"hash": "h"}, "args": [{"n": {"i64": 3}}]})).is_ok());
    }
}
