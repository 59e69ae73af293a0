//! `tailor serve` over HTTP (issue 12): a real server on a free loopback
//! port, started as users start it, called as clients call it. Each
//! endpoint's main path; the tokens; bad requests answered 4xx with a
//! precise JSON error and nothing changed; the C-kernel attacks; overload
//! answered 429 while every accepted request completes; a client that
//! disconnects leaves the pools whole; the routes against `openapi.yaml`.

mod redis_server;
mod serve;

use serde_json::{json, Value};
use serve::{root, Reply, Server, ADMIN, CLIENT};
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

const SUM_C: &str = "double sum(const double *a, long n) { double s = 0; for (long i = 0; i < n; i++) s += a[i]; return s; }";

fn sum_request(kernel: Value, data: &[f64]) -> Value {
    json!({
        "kernel": kernel,
        "args": [{"a": {"array": "f64", "data": data}}, {"n": {"i64": "len(a)"}}],
    })
}

fn c_source(text: &str, name: &str) -> Value {
    json!({"source": text, "format": "c", "name": name})
}

/// A kernel that spins for `n` iterations and scales an out array.
const SPIN_C: &str = "long spin(long n, double *out, long m) { volatile long x = 0; for (long i = 0; i < n; i++) x += i; for (long j = 0; j < m; j++) out[j] = 2.0 * j; return x; }";

/// An `n` for [`spin_request`] that runs at least `ms` milliseconds on
/// this machine, found by doubling: `run` sends one request.
fn spin_lasting(ms: u64, run: impl Fn(i64)) -> i64 {
    let mut n: i64 = 10_000_000;
    loop {
        let at = Instant::now();
        run(n);
        if at.elapsed() >= Duration::from_millis(ms) || n >= 1 << 36 {
            return n;
        }
        n *= 2;
    }
}

fn spin_request(n: i64) -> Value {
    json!({
        "kernel": c_source(SPIN_C, "spin"),
        "args": [{"n": {"i64": n}}, {"m": {"i64": "len(out)"}}],
        "out": [{"out": {"array": "f64", "len": 4}}],
        "profile": "generic",
    })
}

#[test]
fn the_routes_are_the_ones_openapi_yaml_documents() {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for (method, _) in item.as_mapping().expect("path item") {
            let m = method.as_str().expect("key").to_ascii_uppercase();
            if m != "PARAMETERS" {
                documented.push((m, path.as_str().expect("path").to_owned()));
            }
        }
    }
    let mut served: Vec<(String, String)> = tailor::service::ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    documented.sort();
    served.sort();
    assert_eq!(documented, served);

    // And every one is routed: none answers 404 (no route) or 405.
    let s = Server::start(&[]);
    for (method, path) in &served {
        let path = path.replace("{name}", "generic").replace("{key}", "0000");
        if path == "/v1/events" {
            continue; // a stream: checked in its own test
        }
        let r = s.call(method, &path, Some(ADMIN), "", Vec::new());
        if r.status == 404 {
            assert_ne!(
                r.error(),
                "no such route; see openapi.yaml",
                "{method} {path}"
            );
        }
        assert_ne!(r.status, 405, "{method} {path}");
        assert!(r.status < 500, "{method} {path}: {} {}", r.status, r.body);
    }
}

#[test]
fn kernels_upload_once_and_run_by_hash_then_hit_in_memory() {
    let s = Server::start(&[]);
    let up = s.call(
        "POST",
        "/v1/kernels?format=c&name=sum",
        Some(CLIENT),
        "application/octet-stream",
        SUM_C.as_bytes().to_vec(),
    );
    assert_eq!(up.status, 201, "{}", up.body);
    let k = up.json();
    assert_eq!(k["entry"], json!("sum"));
    let hash = k["hash"].as_str().expect("hash").to_owned();
    // The same code as JSON is the same kernel.
    let again = s.post("/v1/kernels", Some(CLIENT), &c_source(SUM_C, "sum"));
    assert_eq!(again.json()["hash"], json!(hash));

    let data: Vec<f64> = (1..=100).map(f64::from).collect();
    let first = s.run(&sum_request(json!({ "hash": hash }), &data));
    assert_eq!(first.status, 200, "{}", first.body);
    let v = first.json();
    assert_eq!(v["result"], json!({"f64": 5050.0}));
    assert_eq!(v["cache"]["hit"], json!(false));
    assert_eq!(v["outcome"], json!({"outcome": "ok"}));
    assert!(
        v["profile"].is_string() && v["plan"]["steps"].is_array(),
        "{v}"
    );
    let second = s.run(&sum_request(json!({ "hash": hash }), &data)).json();
    assert_eq!(
        second["cache"],
        json!({"hit": true, "tier": "memory", "key": v["cache"]["key"]})
    );
    assert_eq!(second["result"], json!({"f64": 5050.0}));
    // A forced profile, generic included.
    let mut forced = sum_request(json!({ "hash": hash }), &data);
    forced["profile"] = json!("generic");
    let g = s.run(&forced).json();
    assert_eq!(
        (g["profile"].clone(), g["result"].clone()),
        (json!("generic"), json!({"f64": 5050.0}))
    );
}

/// The service's default: a miss is answered at once by the generic build
/// and the variant is built behind it; a later request of the key gets it.
#[test]
fn tiered_serving_answers_a_miss_with_generic_then_serves_the_variant() {
    let s = Server::start(&["--tiered", "true"]);
    let data: Vec<f64> = (1..=100).map(f64::from).collect();
    let request = sum_request(c_source(SUM_C, "sum"), &data);
    let first = s.run(&request).json();
    assert_eq!(first["result"], json!({"f64": 5050.0}), "{first}");
    assert_eq!(first["cache"]["hit"], json!(false));
    assert_eq!(first["deferred"], json!(true), "{first}");
    assert_eq!(first["served_by"], json!("generic"));
    assert_ne!(first["profile"], json!("generic"));
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let v = s.run(&request).json();
        assert_eq!(v["result"], json!({"f64": 5050.0}), "{v}");
        if v["served_by"] == json!("variant") {
            assert_eq!(v["cache"]["hit"], json!(true));
            assert_eq!(v["deferred"], json!(false));
            assert_eq!(v["served_key"], first["cache"]["key"]);
            break;
        }
        assert!(Instant::now() < until, "the variant never came: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let metrics = s.get("/metrics", Some(ADMIN)).body;
    // Every miss before the variant was ready was answered by generic.
    let deferred: u64 = metrics
        .lines()
        .find(|l| l.starts_with("tailor_engine{kind=\"deferred\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(deferred >= 1, "{metrics}");
}

#[test]
fn outputs_come_back_as_data_summary_or_npy_and_arrays_come_as_parts() {
    let s = Server::start(&[]);
    let mut req = spin_request(10);
    req["out"] = json!([{"out": {"array": "f64", "len": 20}}]);
    let v = s.run(&req).json();
    let expect: Vec<f64> = (0..20).map(|j| 2.0 * f64::from(j)).collect();
    assert_eq!(v["outputs"]["out"]["data"], json!(expect), "{v}");
    req["outputs"] = json!("summary");
    let v = s.run(&req).json();
    assert_eq!(v["outputs"]["out"]["len"], json!(20));
    assert_eq!(v["outputs"]["out"]["head"], json!(expect[..8]));
    req["outputs"] = json!("npy");
    let v = s.run(&req).json();
    let b64 = v["outputs"]["out"]["npy_base64"].as_str().expect("npy");
    assert!(
        b64.starts_with("k05VTVBZ"),
        "a .npy file (\\x93NUMPY): {b64}"
    );

    // A spec's `file:` names a multipart part: here a .npy and a .csv.
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let mut header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }".to_owned();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    for x in [1.5f64, 2.5, 3.0] {
        npy.extend_from_slice(&x.to_le_bytes());
    }
    let request = json!({
        "kernel": c_source(SUM_C, "sum"),
        "args": [{"a": {"array": "f64", "file": "a.npy"}}, {"n": {"i64": "len(a)"}}],
    });
    let r = multipart(&s, &request, &[("a.npy", &npy)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["result"], json!({"f64": 7.0}));
    let mut csv_req = request.clone();
    csv_req["args"][0]["a"]["file"] = json!("a.csv");
    let r = multipart(&s, &csv_req, &[("a.csv", b"1\n2\n4\n")]);
    assert_eq!(r.json()["result"], json!({"f64": 7.0}), "{}", r.body);

    // A bad .npy is a 400 that says what is wrong with which argument.
    let r = multipart(
        &s,
        &request,
        &[("a.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr'")],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let e = r.error();
    assert!(e.contains("`a`") && e.contains("file a.npy"), "{e}");
    // `file:` never reads a server file.
    let mut host = request.clone();
    host["args"][0]["a"]["file"] = json!("/etc/passwd");
    let r = s.run(&host);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.error()
            .contains("no part of the request is named `/etc/passwd`"),
        "{}",
        r.body
    );
}

fn multipart(s: &Server, request: &Value, parts: &[(&str, &[u8])]) -> Reply {
    let boundary = "tailor-test-boundary-7f3a";
    let mut body = Vec::new();
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{request}\r\n"
    )
    .expect("write");
    for (name, bytes) in parts {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .expect("write");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").expect("write");
    s.call(
        "POST",
        "/v1/run",
        Some(CLIENT),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
}

#[test]
fn calls_without_the_right_token_are_refused_and_change_nothing() {
    let s = Server::start(&[]);
    let run = sum_request(json!({"source": SUM_C, "format": "c"}), &[1.0]);
    let r = s.post("/v1/run", None, &run);
    assert_eq!(r.status, 401);
    assert!(r.error().contains("Authorization: Bearer"));
    assert_eq!(
        s.post("/v1/run", Some("not-a-token-at-all-000"), &run)
            .status,
        401
    );
    assert_eq!(s.get("/v1/profiles", None).status, 401);

    let before = s.get("/v1/profiles/generic", Some(CLIENT)).json()["version"].clone();
    let put = s.call(
        "PUT",
        "/v1/profiles/generic",
        Some(CLIENT),
        "application/yaml",
        b"name: generic\npriority: 0\npipeline: {}\n".to_vec(),
    );
    assert_eq!(put.status, 403, "{}", put.body);
    assert!(put.error().contains("needs the admin token"));
    assert_eq!(
        s.get("/v1/profiles/generic", Some(CLIENT)).json()["version"],
        before
    );
    for (m, p) in [
        ("DELETE", "/v1/profiles/small-shapes"),
        ("DELETE", "/v1/cache"),
        ("GET", "/v1/cache"),
        ("GET", "/v1/events"),
        ("POST", "/v1/profiles/check"),
    ] {
        let r = s.call(m, p, Some(CLIENT), "", Vec::new());
        assert_eq!(r.status, 403, "{m} {p}: {}", r.body);
    }
    assert_eq!(
        s.get("/v1/profiles/small-shapes", Some(CLIENT)).status,
        200,
        "still there"
    );
    assert_eq!(s.get("/healthz", None).status, 200);
    assert_eq!(s.get("/readyz", None).json()["ready"], json!(true));
}

#[test]
fn bad_requests_get_a_precise_4xx_and_the_service_goes_on() {
    let s = Server::start(&["--body-mib", "1"]);
    let r = s.call(
        "POST",
        "/v1/run",
        Some(CLIENT),
        "application/json",
        b"{\"kernel\": ".to_vec(),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.error().contains("invalid JSON") && r.error().contains("line 1"),
        "{}",
        r.body
    );

    let r = s.run(&sum_request(json!({"hash": "ab12"}), &[1.0]));
    assert_eq!(r.status, 404);
    assert!(
        r.error().contains("no kernel with hash `ab12`"),
        "{}",
        r.body
    );

    // A body announced larger than the limit is refused before it is
    // read (the client need not send it).
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut c = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        c,
        "POST /v1/kernels?format=ll HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {CLIENT}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\nxxxx",
        2 << 20
    )
    .expect("write");
    let mut answer = String::new();
    c.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let _ = c.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("application/json") && answer.contains("body_mib"),
        "{answer}"
    );

    // Arguments that do not fit the entry: every problem at once.
    let r = s.run(&json!({
        "kernel": c_source(SUM_C, "sum"),
        "args": [{"a": {"i64": 3}}, {"n": {"f64": 1.0}}],
    }));
    assert_eq!(r.status, 400, "{}", r.body);
    let e = r.error();
    assert!(
        e.contains("2 arguments do not fit") && e.contains("`a`") && e.contains("`n`"),
        "{e}"
    );

    let r = s.run(&json!({"kernel": {"source": "define i32 @f( {", "format": "ll"}, "args": []}));
    assert_eq!(r.status, 422, "{}", r.body);

    // After all that, a good request is served.
    let ok = s.run(&sum_request(
        json!({"source": SUM_C, "format": "c"}),
        &[2.0, 3.0],
    ));
    assert_eq!(ok.json()["result"], json!({"f64": 5.0}), "{}", ok.body);
}

#[test]
fn a_c_kernel_reaches_no_host_file_through_the_api() {
    let s = Server::start(&[]);
    let secret = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(secret.path(), "TOP-SECRET-LINE\n").expect("write");
    let p = secret.path().display();
    for (name, code) in [
        (
            "include",
            format!("#include \"{p}\"\ndouble f(void) {{ return 0; }}"),
        ),
        (
            "embed",
            format!("const char d[] = {{\n#embed \"{p}\"\n}};\nlong f(long i) {{ return d[i]; }}"),
        ),
        (
            "passwd",
            "#include \"/etc/passwd\"\nlong f(void) { return 0; }".to_owned(),
        ),
    ] {
        let r = s.post("/v1/kernels", Some(CLIENT), &c_source(&code, name));
        assert_eq!(r.status, 422, "{name}: {}", r.body);
        assert!(
            !r.body.contains("TOP-SECRET") && !r.body.contains("root:x:"),
            "{name}: {}",
            r.body
        );
    }
    // A kernel name is never a path or an option.
    let r = s.post(
        "/v1/kernels",
        Some(CLIENT),
        &c_source(SUM_C, "--config=./x"),
    );
    assert_eq!(r.status, 400);
    assert!(r.error().contains("kernel name"), "{}", r.body);
}

#[test]
fn profiles_change_through_the_api_with_history_and_rollback() {
    let s = Server::start(&[]);
    let put = |name: &str, body: &str| {
        s.call(
            "PUT",
            &format!("/v1/profiles/{name}"),
            Some(ADMIN),
            "application/yaml",
            body.as_bytes().to_vec(),
        )
    };
    let v1 = "name: fast\npriority: 5\nmatch: size(arrays) > 0\npipeline:\n  bind: { transform: specialize, bind: ints }\n";
    let r = put("fast", v1);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(s.profiles.path().join("fast.yaml").is_file());
    let version1 = r.json()["version"].clone();
    assert_eq!(
        s.get("/v1/profiles/fast", Some(CLIENT)).json()["source"],
        json!(v1)
    );

    // A cycle: refused with file, line and node; the old version serves.
    let cyclic = "name: fast\npriority: 5\npipeline:\n  a: { transform: dce, after: b }\n  b: { transform: dce, after: a }\n";
    let r = put("fast", cyclic);
    assert_eq!(r.status, 422, "{}", r.body);
    let e = r.json();
    assert!(e["error"].as_str().unwrap_or("").contains("cycle"), "{e}");
    assert!(e["details"][0]["line"].is_number(), "{e}");
    assert_eq!(
        s.get("/v1/profiles/fast", Some(CLIENT)).json()["version"],
        version1
    );
    assert_eq!(
        std::fs::read_to_string(s.profiles.path().join("fast.yaml")).expect("file"),
        v1
    );

    // check validates and saves nothing.
    let c = s.call(
        "POST",
        "/v1/profiles/check",
        Some(ADMIN),
        "application/yaml",
        cyclic.as_bytes().to_vec(),
    );
    assert_eq!(c.status, 422);
    let as_json = json!({"name": "other", "priority": 1, "pipeline": {}});
    let c = s.call(
        "POST",
        "/v1/profiles/check",
        Some(ADMIN),
        "application/json",
        as_json.to_string().into_bytes(),
    );
    assert_eq!(c.status, 200, "{}", c.body);
    assert_eq!(s.get("/v1/profiles/other", Some(CLIENT)).status, 404);

    // A second version, then back to the first.
    let v2 = v1.replace("priority: 5", "priority: 6");
    assert_eq!(put("fast", &v2).json()["priority"], json!(6));
    let h = s.get("/v1/profiles/fast/history", Some(ADMIN)).json();
    let versions: Vec<&Value> = h["versions"].as_array().expect("versions").iter().collect();
    assert_eq!(versions.len(), 2, "{h}");
    assert_eq!(versions[1]["live"], json!(true));
    let back = s.post(
        "/v1/profiles/fast/rollback",
        Some(ADMIN),
        &json!({"version": version1}),
    );
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(
        s.get("/v1/profiles/fast", Some(CLIENT)).json()["priority"],
        json!(5)
    );

    // The name in the body must be the URL's; generic is not deleted.
    let r = put("fast", "name: slow\npipeline: {}\n");
    assert_eq!(r.status, 400);
    assert!(r.error().contains("named `slow`"), "{}", r.body);
    let r = s.call(
        "DELETE",
        "/v1/profiles/generic",
        Some(ADMIN),
        "",
        Vec::new(),
    );
    assert_eq!(r.status, 409);
    let r = s.call("DELETE", "/v1/profiles/fast", Some(ADMIN), "", Vec::new());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.get("/v1/profiles/fast", Some(CLIENT)).status, 404);
    assert!(!s.profiles.path().join("fast.yaml").exists());

    // A file edited on disk goes live as through the watcher.
    std::fs::write(
        s.profiles.path().join("disk.yaml"),
        "name: disk\npriority: 2\npipeline: {}\n",
    )
    .expect("write");
    let started = Instant::now();
    while s.get("/v1/profiles/disk", Some(CLIENT)).status != 200 {
        assert!(started.elapsed() < Duration::from_secs(10), "hot reload");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The folder swapped for a new one (a deploy: `mv new profiles`):
    // the new folder is read whole and watched; what it lacks unloads.
    let dir = s.profiles.path();
    let next = dir.with_extension("next");
    std::fs::create_dir(&next).expect("mkdir");
    std::fs::copy(dir.join("generic.yaml"), next.join("generic.yaml")).expect("copy");
    std::fs::write(
        next.join("swapped.yaml"),
        "name: swapped\npriority: 3\npipeline: {}\n",
    )
    .expect("write");
    std::fs::rename(dir, dir.with_extension("old")).expect("mv away");
    std::fs::rename(&next, dir).expect("mv in");
    let started = Instant::now();
    while s.get("/v1/profiles/swapped", Some(CLIENT)).status != 200
        || s.get("/v1/profiles/disk", Some(CLIENT)).status != 404
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the new folder"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(dir.join("later.yaml"), "name: later\npipeline: {}\n").expect("write");
    let started = Instant::now();
    while s.get("/v1/profiles/later", Some(CLIENT)).status != 200 {
        assert!(started.elapsed() < Duration::from_secs(10), "watched");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::fs::remove_dir_all(dir.with_extension("old"));
}

#[test]
fn the_cache_events_and_metrics_show_what_ran() {
    let s = Server::start(&[]);
    // Subscribe first, on a raw socket, and read the stream in a thread.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut sse = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        sse,
        "GET /v1/events HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("write");
    sse.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let reader = std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        let started = Instant::now();
        while !seen.contains("event: finished") && started.elapsed() < Duration::from_secs(30) {
            match sse.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
        seen
    });
    std::thread::sleep(Duration::from_millis(300));
    let r = s.run(&sum_request(
        json!({"source": SUM_C, "format": "c"}),
        &[1.0, 2.0],
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    let key = r.json()["cache"]["key"].as_str().expect("key").to_owned();
    let seen = reader.join().expect("reader");
    assert!(seen.contains("text/event-stream"), "{seen}");
    assert!(
        seen.contains("event: received") && seen.contains("event: finished"),
        "{seen}"
    );

    let list = s.get("/v1/cache", Some(ADMIN)).json();
    let keys: Vec<&str> = list["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    assert!(keys.contains(&key.as_str()), "{list}");
    let show = s
        .get(&format!("/v1/cache/{}", &key[..12]), Some(ADMIN))
        .json();
    assert!(
        show["optimized_ir"]
            .as_str()
            .unwrap_or("")
            .contains("define"),
        "{show}"
    );
    assert!(show["steps"].is_array());
    assert!(
        show["assembly"].as_str().unwrap_or("").contains("ret"),
        "{show}"
    );

    let m = s.get("/metrics", Some(CLIENT));
    assert_eq!(m.status, 200);
    assert!(
        m.content_type.starts_with("application/openmetrics-text"),
        "{}",
        m.content_type
    );
    for needle in [
        "tailor_requests_total{outcome=\"ok\"} 1",
        "tailor_cache_lookups_total{tier=\"miss\"} 1",
        "tailor_stage_seconds_bucket{",
        "tailor_sandbox_processes{kind=\"executor\"}",
        "tailor_engine{kind=\"builds\"}",
        "tailor_cache{kind=\"evictions\"} 0",
    ] {
        assert!(m.body.contains(needle), "{needle} in\n{}", m.body);
    }

    let r = s.call(
        "DELETE",
        &format!("/v1/cache/{key}"),
        Some(ADMIN),
        "",
        Vec::new(),
    );
    assert_eq!(r.json()["removed"], json!(key));
    assert_eq!(s.get(&format!("/v1/cache/{key}"), Some(ADMIN)).status, 404);
    let r = s.call("DELETE", "/v1/cache", Some(ADMIN), "", Vec::new());
    assert_eq!(r.status, 200);
    assert_eq!(
        s.get("/v1/cache", Some(ADMIN)).json()["stats"]["entries"],
        json!(0)
    );
}

#[test]
fn overload_is_answered_429_while_every_accepted_request_completes() {
    let s = std::sync::Arc::new(Server::start(&[
        "--concurrency",
        "1",
        "--tenant-queue",
        "2",
    ]));
    // Warm: the kernel registered and its generic build cached; each
    // request then long enough that all eight arrive while one runs.
    assert_eq!(s.run(&spin_request(1000)).status, 200);
    let n = spin_lasting(250, |n| assert_eq!(s.run(&spin_request(n)).status, 200));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || s.run(&spin_request(n)))
        })
        .collect();
    let replies: Vec<Reply> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let throttled: Vec<&Reply> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(ok + throttled.len(), 8, "only 200 or 429");
    assert!(ok >= 3, "one running and two queued are served: {ok}");
    assert!(!throttled.is_empty(), "the queue bound holds");
    for r in &throttled {
        assert_eq!(r.retry_after.as_deref(), Some("1"));
        assert!(r.error().contains("tenant `default`"), "{}", r.body);
    }
    for r in replies.iter().filter(|r| r.status == 200) {
        assert_eq!(r.json()["outcome"], json!({"outcome": "ok"}));
    }
}

#[test]
fn a_client_that_disconnects_mid_request_leaves_the_pools_whole() {
    let s = Server::start(&["--concurrency", "2"]);
    assert_eq!(s.run(&spin_request(1000)).status, 200);
    // Long enough to be still running when its client goes.
    let n = spin_lasting(300, |n| assert_eq!(s.run(&spin_request(n)).status, 200));
    let addr = s.base.trim_start_matches("http://").to_owned();
    for _ in 0..3 {
        let body = spin_request(n).to_string();
        let mut c = std::net::TcpStream::connect(&addr).expect("connect");
        write!(
            c,
            "POST /v1/run HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {CLIENT}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        std::thread::sleep(Duration::from_millis(100));
        drop(c);
    }
    // The abandoned runs finish on their own and give their slots back.
    let started = Instant::now();
    loop {
        let m = s.get("/metrics", Some(CLIENT)).body;
        if m.contains("tailor_admission{kind=\"running\"} 0") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{m}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let ready = s.get("/readyz", None).json();
    assert_eq!(ready["ready"], json!(true), "{ready}");
    let ok = s.run(&sum_request(
        json!({"source": SUM_C, "format": "c"}),
        &[4.0],
    ));
    assert_eq!(ok.json()["result"], json!({"f64": 4.0}), "{}", ok.body);
}

#[test]
fn print_config_shows_what_is_in_force_without_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tailor.toml");
    std::fs::write(
        &file,
        "body_mib = 9\ntenant_queue = 3\n[tenants]\nacme = \"acme-token-0123456789\"\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["serve", "--print-config", "--tenant-queue", "4", "--config"])
        .arg(&file)
        .env("TAILOR_ADMIN_TOKEN", ADMIN)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("body_mib = 9") && text.contains("tenant_queue = 4"),
        "{text}"
    );
    assert!(text.contains("listen = \"127.0.0.1:7878\""), "{text}");
    assert!(
        !text.contains(ADMIN) && !text.contains("acme-token"),
        "{text}"
    );
    assert!(text.contains("# client tokens: acme"), "{text}");
    let bad = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["serve", "--print-config", "--body-mib", "0"])
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--body-mib (or TAILOR_BODY_MIB) is 0"));
}

/// The shell lines of the README between `<!-- NAME -->` and
/// `<!-- /NAME -->`.
fn readme_block(name: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let (_, rest) = readme
        .split_once(&format!("<!-- {name} -->"))
        .unwrap_or_else(|| panic!("the README marks its {name}"));
    let (block, _) = rest
        .split_once(&format!("<!-- /{name} -->"))
        .expect("end marker");
    block
        .lines()
        .filter(|l| !l.starts_with("```"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_curl_examples_work_as_written() {
    let script: String = readme_block("curl-examples")
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(script.matches("curl ").count() >= 10, "{script}");
    let s = Server::start(&[]);
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .current_dir(root())
        .env("TAILOR_URL", &s.base)
        .env("TOKEN", ADMIN)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(r#""result":{"f64":6.5}"#), "{stdout}");
    assert_eq!(
        stdout.matches(r#""outcome":{"outcome":"ok"}"#).count(),
        3,
        "{stdout}"
    );
    assert!(stdout.contains("tailor_requests_total"), "{stdout}");
}

#[test]
fn tailor_run_connect_sends_a_spec_with_its_data_file_to_the_service() {
    let s = Server::start(&[]);
    let token = tempfile::NamedTempFile::new().expect("temp");
    std::fs::write(token.path(), format!("{CLIENT}\n")).expect("write");
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tailor"))
            .current_dir(root())
            .args(["run", "--connect", &s.base, "--token-file"])
            .arg(token.path())
            .arg("sample-inputs/reduce-npy.yaml")
            .args(extra)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("a JSON answer per line"))
            .collect::<Vec<_>>()
    };
    let answers = run(&["--json", "--repeat", "2"]);
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["cache"]["hit"], json!(false));
    assert_eq!(answers[1]["cache"]["tier"], json!("memory"));
    assert_eq!(answers[0]["outcome"], json!({"outcome": "ok"}));
    // The minimum of signal.npy, which only travelled as a part: the
    // selected profile and generic agree on it exactly.
    let generic = run(&["--json", "--profile", "generic"]);
    assert_eq!(generic[0]["profile"], json!("generic"));
    assert_eq!(generic[0]["result"], answers[0]["result"]);
    assert!(answers[0]["result"]["f64"].is_number(), "{}", answers[0]);

    let refused = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .current_dir(root())
        .args(["run", "--connect", &s.base, "sample-inputs/sum-small.yaml"])
        .env("TAILOR_TOKEN", "an-unknown-token-0000000")
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401: unknown token"));
}

#[test]
fn one_tenants_flood_does_not_delay_another_tenants_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tailor.toml");
    std::fs::write(
        &config,
        "concurrency = 1\ntenant_queue = 16\n[tenants]\nflood = \"flood-token-0123456789\"\nquiet = \"quiet-token-0123456789\"\n",
    )
    .expect("write");
    let s = std::sync::Arc::new(Server::start(&["--config", &config.display().to_string()]));
    let as_tenant = |s: &Server, token: &str, n: i64| {
        let r = s.call(
            "POST",
            "/v1/run",
            Some(token),
            "application/json",
            spin_request(n).to_string().into_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        Instant::now()
    };
    as_tenant(&s, "quiet-token-0123456789", 1000);
    // A flood request long enough that the quiet one's own round trip is
    // small beside it, whatever this machine's speed.
    let n = spin_lasting(250, |n| {
        as_tenant(&s, "flood-token-0123456789", n);
    });
    let flood: Vec<_> = (0..6)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || as_tenant(&s, "flood-token-0123456789", n))
        })
        .collect();
    // The flood holds the one slot and five wait behind it.
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let metrics = s.get("/metrics", Some(ADMIN)).body;
        if metrics.contains("tailor_admission{kind=\"waiting\"} 5") {
            break;
        }
        assert!(Instant::now() < until, "the flood never queued: {metrics}");
        std::thread::sleep(Duration::from_millis(5));
    }
    let quiet = as_tenant(&s, "quiet-token-0123456789", 1000);
    let flood_done: Vec<Instant> = flood
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let after = flood_done.iter().filter(|&&t| t > quiet).count();
    // Queued behind the flood it would finish last; served in turn, it
    // waits for the one flood request running, and comes back before the
    // next has run its course.
    assert!(
        after >= 4,
        "the quiet tenant finished after {} of 6 flood requests",
        6 - after
    );
}

#[test]
fn an_upload_that_calls_outside_the_allow_list_is_refused_by_name() {
    let s = Server::start(&[]);
    let ll = "declare i32 @system(ptr)\n@cmd = constant [3 x i8] c\"id\\00\"\ndefine i32 @f() {\n  %r = call i32 @system(ptr @cmd)\n  ret i32 %r\n}\n";
    let r = s.call(
        "POST",
        "/v1/kernels?format=ll&name=evil",
        Some(CLIENT),
        "text/plain",
        ll.as_bytes().to_vec(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.error().contains("system"), "{}", r.body);
}

#[test]
fn two_services_share_a_variant_through_redis() {
    let redis = redis_server::Redis::start();
    let key_file = tempfile::NamedTempFile::new().expect("key file");
    std::fs::write(key_file.path(), "a fleet key for two services\n").expect("write");
    let fleet = [
        "--redis",
        &redis.url(),
        "--fleet-key-file",
        key_file.path().to_str().expect("utf-8 path"),
    ];
    let a = Server::start(&fleet);
    let b = Server::start(&fleet);
    // A length of 1000, where the shipped profiles specialize a sum.
    let data: Vec<f64> = (0..1000).map(|i| i as f64 * 0.5).collect();
    let run = sum_request(
        json!({"source": SUM_C, "format": "c", "name": "sum"}),
        &data,
    );
    let first = a.run(&run).json();
    assert_eq!(first["cache"]["hit"], json!(false), "{first}");
    let shared = b.run(&run).json();
    assert_eq!(shared["cache"]["tier"], json!("redis"), "{shared}");
    assert_eq!(shared["cache"]["key"], first["cache"]["key"]);
    assert_eq!(shared["result"], first["result"]);
    assert_eq!(b.run(&run).json()["cache"]["tier"], json!("memory"));

    let metrics = b.get("/metrics", Some(CLIENT)).body;
    assert!(
        metrics.contains("tailor_fleet{kind=\"hits\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("tailor_fleet{kind=\"up\"} 1"), "{metrics}");
    assert!(
        metrics.contains("tailor_cache_lookups_total{tier=\"redis\"} 1"),
        "{metrics}"
    );
    let listed = b.get("/v1/cache", Some(ADMIN)).json();
    assert_eq!(listed["fleet"]["hits"], json!(1), "{listed}");
    assert_eq!(listed["fleet"]["breaker"], json!("closed"));
    assert_eq!(listed["redis"]["maxmemory_policy"], json!("allkeys-lru"));

    // Every tier's counters, as an operator reads them.
    let out = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["--connect", &b.base, "cache", "ls"])
        .env("TAILOR_TOKEN", ADMIN)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("memory: 1 entries"), "{text}");
    assert!(text.contains("disk:   off"), "{text}");
    assert!(text.contains("redis:  up · 1 hits"), "{text}");
    assert!(text.contains("allkeys-lru"), "{text}");
}

#[test]
fn redis_without_a_fleet_key_does_not_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["serve", "--redis", "redis://127.0.0.1:1", "--print-config"])
        .env_remove("TAILOR_FLEET_KEY")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no fleet key"), "{err}");
}

#[test]
fn the_readme_fleet_example_works_as_written() {
    // The same commands on ports and folders of this test's own.
    let free = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    };
    let (redis, one, two) = (free(), free(), free());
    let dirs = tempfile::tempdir().expect("temp dir");
    let tailor = env!("CARGO_BIN_EXE_tailor");
    let script: String = readme_block("fleet-example")
        .iter()
        .map(|l| {
            format!(
                "{}\n",
                l.replace("6379", &redis.to_string())
                    .replace("7878", &one.to_string())
                    .replace("7879", &two.to_string())
                    .replace(
                        "/tmp/engine-",
                        &format!("{}/engine-", dirs.path().display())
                    )
                    .replace("target/release/tailor", tailor)
            )
        })
        .collect();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -euo pipefail\ntrap 'redis-cli -p {redis} shutdown nosave 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        ))
        .current_dir(root())
        .env_remove("TAILOR_FLEET_KEY")
        .env_remove("TAILOR_ADMIN_TOKEN")
        .env("HOME", dirs.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let caches: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("\"cache\""))
        .collect();
    assert_eq!(caches.len(), 2, "{stdout}");
    assert!(caches[0].contains(r#""hit":false"#), "{stdout}");
    assert!(caches[1].contains(r#""tier":"redis""#), "{stdout}");
    assert!(stdout.contains("redis:  up · 1 hits"), "{stdout}");
}
