//! `tailor serve`'s settings: one name per setting, the same in three
//! places. A flag `--body-mib`, an environment variable `TAILOR_BODY_MIB`
//! and a key `body_mib` in the `--config` TOML file; a flag beats the
//! environment, which beats the file, which beats the default.
//! [`Settings::resolve`] checks every value's range and says which source
//! it came from when one is out of range.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The flags (each also an environment variable).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, env = "TAILOR_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// A TOML file holding any of these settings (keys as the flags, with
    /// `_` for `-`; client tokens per tenant under `[tenants]`).
    #[arg(long, env = "TAILOR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where the service keeps its state: the generated admin token and
    /// profile history (default: $XDG_CONFIG_HOME/tailor, else
    /// ~/.config/tailor).
    #[arg(long, env = "TAILOR_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The admin token (profiles, the cache, events). Prefer the
    /// environment or the config file: a flag shows in `ps`.
    #[arg(long, env = "TAILOR_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// A client token (upload kernels and run), for the tenant `default`.
    #[arg(long, env = "TAILOR_CLIENT_TOKEN", hide_env_values = true)]
    pub client_token: Option<String>,
    /// Build workers kept warm.
    #[arg(long, env = "TAILOR_WORKERS")]
    pub workers: Option<usize>,
    /// Executors kept warm.
    #[arg(long, env = "TAILOR_EXECUTORS")]
    pub executors: Option<usize>,
    /// Variants the memory tier holds at most.
    #[arg(long, env = "TAILOR_CACHE_ENTRIES")]
    pub cache_entries: Option<usize>,
    /// Bytes of variants the memory tier holds at most, in MiB.
    #[arg(long, env = "TAILOR_CACHE_MIB")]
    pub cache_mib: Option<usize>,
    /// Bytes of variant files the disk tier holds at most, in MiB (the
    /// least recently used go first).
    #[arg(long, env = "TAILOR_DISK_CACHE_MIB")]
    pub disk_cache_mib: Option<usize>,
    /// The largest request body accepted, in MiB.
    #[arg(long, env = "TAILOR_BODY_MIB")]
    pub body_mib: Option<usize>,
    /// Each request's deadline, in milliseconds (a build included).
    #[arg(long, env = "TAILOR_REQUEST_MS")]
    pub request_ms: Option<u64>,
    /// Requests run at once, across tenants.
    #[arg(long, env = "TAILOR_CONCURRENCY")]
    pub concurrency: Option<usize>,
    /// Requests one tenant may have waiting; past it, 429.
    #[arg(long, env = "TAILOR_TENANT_QUEUE")]
    pub tenant_queue: Option<usize>,
    /// The fraction of hits also run on the generic build and compared.
    #[arg(long, env = "TAILOR_SHADOW")]
    pub shadow: Option<f64>,
    /// The fleet's Redis (`redis://host:port`): variants built by any
    /// engine of the fleet are shared through it. Needs a fleet key.
    #[arg(
        long = "redis-url",
        visible_alias = "redis",
        env = "TAILOR_REDIS_URL",
        value_name = "URL"
    )]
    pub redis_url: Option<String>,
    /// The fleet key that seals every shared variant (and disk file),
    /// 16 bytes at least, the same on every engine of the fleet. Prefer
    /// the environment, the config file or --fleet-key-file: a flag shows
    /// in `ps`.
    #[arg(long, env = "TAILOR_FLEET_KEY", hide_env_values = true)]
    pub fleet_key: Option<String>,
    /// A file holding the fleet key.
    #[arg(long, env = "TAILOR_FLEET_KEY_FILE", value_name = "FILE")]
    pub fleet_key_file: Option<PathBuf>,
    /// Each Redis operation's deadline, in milliseconds.
    #[arg(long, env = "TAILOR_REDIS_TIMEOUT_MS")]
    pub redis_timeout_ms: Option<u64>,
    /// A build lease's lifetime in milliseconds (renewed while building;
    /// how long a dead builder holds its key).
    #[arg(long, env = "TAILOR_REDIS_LEASE_MS")]
    pub redis_lease_ms: Option<u64>,
    /// How long shared variants live in Redis, in seconds (0: until Redis
    /// evicts them).
    #[arg(long, env = "TAILOR_REDIS_TTL_SECS")]
    pub redis_ttl_secs: Option<u64>,
    /// Distinct values a bound dimension (a size, a flag) may take per
    /// kernel and profile within --key-window-secs before it is left
    /// dynamic (0: no limit).
    #[arg(long, env = "TAILOR_KEY_LIMIT")]
    pub key_limit: Option<usize>,
    /// The key budget's window, in seconds.
    #[arg(long, env = "TAILOR_KEY_WINDOW_SECS")]
    pub key_window_secs: Option<u64>,
    /// Tiered serving: a miss is answered by the generic build at once and
    /// its variant built in the background (a profile can opt out with
    /// `sandbox: { tiered: false }`). `false`: the first request of a key
    /// waits for its variant.
    #[arg(long, env = "TAILOR_TIERED", value_name = "BOOL")]
    pub tiered: Option<bool>,
    /// Print the settings in force (tokens hidden) and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// The config file: the same settings, every key optional.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub profiles: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub disk_cache: Option<bool>,
    pub admin_token: Option<String>,
    pub client_token: Option<String>,
    pub workers: Option<usize>,
    pub executors: Option<usize>,
    pub cache_entries: Option<usize>,
    pub cache_mib: Option<usize>,
    pub disk_cache_mib: Option<usize>,
    pub body_mib: Option<usize>,
    pub request_ms: Option<u64>,
    pub concurrency: Option<usize>,
    pub tenant_queue: Option<usize>,
    pub shadow: Option<f64>,
    pub redis_url: Option<String>,
    pub fleet_key: Option<String>,
    pub fleet_key_file: Option<PathBuf>,
    pub redis_timeout_ms: Option<u64>,
    pub redis_lease_ms: Option<u64>,
    pub redis_ttl_secs: Option<u64>,
    pub key_limit: Option<usize>,
    pub key_window_secs: Option<u64>,
    pub tiered: Option<bool>,
    /// Client tokens by tenant name.
    #[serde(default)]
    pub tenants: BTreeMap<String, String>,
}

/// The settings in force.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub listen: SocketAddr,
    pub profiles: PathBuf,
    pub state_dir: PathBuf,
    pub cache_dir: Option<PathBuf>,
    #[serde(skip)]
    pub admin_token: Option<String>,
    /// Client tokens by tenant (`default` for `client_token`).
    #[serde(skip)]
    pub tenants: BTreeMap<String, String>,
    pub workers: usize,
    pub executors: usize,
    pub cache_entries: usize,
    pub cache_mib: usize,
    pub disk_cache_mib: usize,
    pub body_mib: usize,
    pub request_ms: u64,
    pub concurrency: usize,
    pub tenant_queue: usize,
    pub shadow: f64,
    pub redis_url: Option<String>,
    pub redis_timeout_ms: u64,
    pub redis_lease_ms: u64,
    pub redis_ttl_secs: u64,
    pub key_limit: usize,
    pub key_window_secs: u64,
    pub tiered: bool,
    /// The fleet key and Redis, as the engine takes them.
    #[serde(skip)]
    pub fleet: crate::cache::FleetSetup,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// The shortest token accepted: a guessable token is no token.
pub const MIN_TOKEN: usize = 16;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where a value came from, for messages.
fn origin(flag: bool, name: &str, file: Option<&Path>) -> String {
    if flag {
        format!(
            "--{} (or TAILOR_{})",
            name.replace('_', "-"),
            name.to_uppercase()
        )
    } else {
        match file {
            Some(f) => format!("`{name}` in {}", f.display()),
            None => format!("`{name}`"),
        }
    }
}

fn range<T: PartialOrd + std::fmt::Display + Copy>(
    value: T,
    lo: T,
    hi: T,
    what: &str,
) -> Result<T, String> {
    if value < lo || value > hi {
        return Err(format!("{what} is {value}; it must be {lo} to {hi}"));
    }
    Ok(value)
}

/// `$XDG_CONFIG_HOME/tailor`, else `~/.config/tailor`.
pub fn default_state_dir() -> PathBuf {
    let var = |n: &str| {
        std::env::var_os(n)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = var("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
        return x.join("tailor");
    }
    var("HOME")
        .map(|h| h.join(".config").join("tailor"))
        .unwrap_or_else(|| PathBuf::from(".tailor"))
}

impl Settings {
    /// Flags and environment over the config file over the defaults;
    /// `profiles` and `cache_dir` come from the global flags (`None`:
    /// not given there).
    pub fn resolve(
        args: &ServeArgs,
        profiles: Option<&Path>,
        cache_dir: Option<Option<PathBuf>>,
    ) -> Result<Settings, ConfigError> {
        let file_path = args.config.as_deref();
        let file = match file_path {
            None => FileConfig::default(),
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("{}: cannot read: {e}", p.display())))?;
                toml::from_str(&text).map_err(|e| {
                    ConfigError(format!("{}: {}", p.display(), e.to_string().trim_end()))
                })?
            }
        };
        Self::merge(args, &file, file_path, profiles, cache_dir)
    }

    fn merge(
        args: &ServeArgs,
        file: &FileConfig,
        file_path: Option<&Path>,
        profiles: Option<&Path>,
        cache_dir: Option<Option<PathBuf>>,
    ) -> Result<Settings, ConfigError> {
        let mut problems = Vec::new();
        macro_rules! pick {
            ($name:ident, $default:expr, $lo:expr, $hi:expr) => {{
                let (v, flag) = match (args.$name, file.$name) {
                    (Some(v), _) => (v, true),
                    (None, Some(v)) => (v, false),
                    (None, None) => ($default, false),
                };
                let what = origin(flag, stringify!($name), file_path);
                range(v, $lo, $hi, &what).unwrap_or_else(|e| {
                    problems.push(e);
                    $default
                })
            }};
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = pick!(workers, cores, 1, 64);
        let executors = pick!(executors, cores, 1, 64);
        let cache_entries = pick!(cache_entries, 1024, 1, 1 << 20);
        let cache_mib = pick!(cache_mib, 512, 1, 1 << 20);
        let disk_cache_mib = pick!(
            disk_cache_mib,
            (crate::cache::DEFAULT_DISK_BYTES >> 20) as usize,
            1,
            1 << 24
        );
        let body_mib = pick!(body_mib, 64, 1, 4096);
        let request_ms = pick!(request_ms, 120_000, 100, 3_600_000);
        let concurrency = pick!(concurrency, 2 * executors, 1, 4096);
        let tenant_queue = pick!(tenant_queue, 64, 1, 1 << 16);
        let shadow = pick!(shadow, crate::engine::DEFAULT_SHADOW, 0.0, 1.0);
        if shadow.is_nan() {
            problems.push("shadow is NaN; it must be 0 to 1".into());
        }
        use crate::cache::RedisConfig;
        let ms = |d: std::time::Duration| d.as_millis() as u64;
        let redis_timeout_ms = pick!(
            redis_timeout_ms,
            ms(RedisConfig::DEFAULT_TIMEOUT),
            1,
            10_000
        );
        let redis_lease_ms = pick!(redis_lease_ms, ms(RedisConfig::DEFAULT_LEASE), 100, 600_000);
        let redis_ttl_secs = pick!(
            redis_ttl_secs,
            RedisConfig::DEFAULT_TTL.as_secs(),
            0,
            366 * 24 * 3600
        );
        let budget = crate::engine::KeyBudgetConfig::default();
        let key_limit = pick!(key_limit, budget.limit, 0, 1 << 16);
        let key_window_secs = pick!(key_window_secs, budget.window.as_secs(), 1, 7 * 24 * 3600);
        let fleet = Self::fleet(args, file, file_path, &mut problems).map(|(key, url)| {
            crate::cache::FleetSetup {
                key,
                redis: url.map(|url| RedisConfig {
                    url,
                    timeout: std::time::Duration::from_millis(redis_timeout_ms),
                    lease: std::time::Duration::from_millis(redis_lease_ms),
                    ttl: (redis_ttl_secs > 0)
                        .then(|| std::time::Duration::from_secs(redis_ttl_secs)),
                }),
            }
        });

        let (listen_text, flag) = match (&args.listen, &file.listen) {
            (Some(v), _) => (v.clone(), true),
            (None, Some(v)) => (v.clone(), false),
            (None, None) => (DEFAULT_LISTEN.to_owned(), false),
        };
        let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|e| {
            problems.push(format!(
                "{} is `{listen_text}`: {e} (an address and port, e.g. {DEFAULT_LISTEN})",
                origin(flag, "listen", file_path)
            ));
            DEFAULT_LISTEN.parse().expect("the default address parses")
        });

        let admin_token = args
            .admin_token
            .clone()
            .or_else(|| file.admin_token.clone());
        let mut tenants = file.tenants.clone();
        if let Some(t) = args
            .client_token
            .clone()
            .or_else(|| file.client_token.clone())
        {
            tenants.insert("default".to_owned(), t);
        }
        for (who, token) in admin_token
            .iter()
            .map(|t| ("the admin token".to_owned(), t))
            .chain(
                tenants
                    .iter()
                    .map(|(n, t)| (format!("tenant `{n}`'s token"), t)),
            )
        {
            if token.len() < MIN_TOKEN || token.chars().any(|c| c.is_whitespace()) {
                problems.push(format!(
                    "{who} must be at least {MIN_TOKEN} characters with no spaces"
                ));
            }
        }
        for name in tenants.keys() {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                problems.push(format!(
                    "tenant name `{name}` must be letters, digits, `-` or `_`"
                ));
            }
        }
        let mut seen = BTreeMap::new();
        for (name, token) in &tenants {
            if let Some(other) = seen.insert(token, name) {
                problems.push(format!("tenants `{other}` and `{name}` share a token"));
            }
            if admin_token.as_ref() == Some(token) {
                problems.push(format!("tenant `{name}`'s token is the admin token"));
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError(problems.join("; ")));
        }
        let disk = file.disk_cache.unwrap_or(true);
        let cache_dir = match cache_dir {
            Some(d) => d,
            None if !disk => None,
            None => file
                .cache_dir
                .clone()
                .or_else(crate::cache::CacheConfig::default_dir),
        };
        Ok(Settings {
            listen,
            profiles: profiles
                .map(Path::to_owned)
                .or_else(|| file.profiles.clone())
                .unwrap_or_else(|| PathBuf::from("profiles")),
            state_dir: args
                .state_dir
                .clone()
                .or_else(|| file.state_dir.clone())
                .unwrap_or_else(default_state_dir),
            cache_dir,
            admin_token,
            tenants,
            workers,
            executors,
            cache_entries,
            cache_mib,
            disk_cache_mib,
            body_mib,
            request_ms,
            concurrency,
            tenant_queue,
            shadow,
            redis_url: fleet
                .as_ref()
                .and_then(|f| f.redis.as_ref())
                .map(|r| r.url.clone()),
            redis_timeout_ms,
            redis_lease_ms,
            redis_ttl_secs,
            key_limit,
            key_window_secs,
            tiered: args.tiered.or(file.tiered).unwrap_or(true),
            fleet: fleet.unwrap_or_default(),
        })
    }

    /// The fleet key (from the flag or environment, a key file, or the
    /// config file) and the Redis URL; a URL without a key is an error.
    #[allow(clippy::type_complexity)]
    fn fleet(
        args: &ServeArgs,
        file: &FileConfig,
        file_path: Option<&Path>,
        problems: &mut Vec<String>,
    ) -> Option<(Option<crate::cache::FleetKey>, Option<String>)> {
        let key_file = args
            .fleet_key_file
            .clone()
            .or_else(|| file.fleet_key_file.clone());
        let text = match (args.fleet_key.clone(), key_file, file.fleet_key.clone()) {
            (Some(k), _, _) => Some((k, "--fleet-key (or TAILOR_FLEET_KEY)".to_owned())),
            (None, Some(path), _) => match std::fs::read_to_string(&path) {
                Ok(k) => Some((k, path.display().to_string())),
                Err(e) => {
                    problems.push(format!("fleet key file {}: {e}", path.display()));
                    return None;
                }
            },
            (None, None, Some(k)) => Some((k, origin(false, "fleet_key", file_path))),
            (None, None, None) => None,
        };
        let key = match text {
            None => None,
            Some((text, from)) => match crate::cache::FleetKey::new(&text) {
                Ok(k) => Some(k),
                Err(e) => {
                    problems.push(format!("{from}: {e}"));
                    return None;
                }
            },
        };
        let (url, flag) = match (&args.redis_url, &file.redis_url) {
            (Some(u), _) => (Some(u.clone()), true),
            (None, Some(u)) => (Some(u.clone()), false),
            (None, None) => (None, false),
        };
        if let Some(u) = &url {
            let what = origin(flag, "redis_url", file_path);
            if let Err(e) = redis::Client::open(u.as_str()) {
                problems.push(format!("{what} is `{u}`: {e}"));
                return None;
            }
            if key.is_none() {
                problems.push(format!(
                    "{what} is set but there is no fleet key (TAILOR_FLEET_KEY, --fleet-key-file or `fleet_key`): without one, whoever can write Redis chooses the code every engine runs"
                ));
                return None;
            }
        }
        Some((key, url))
    }

    /// The settings as a config file would hold them, tokens hidden.
    pub fn to_toml(&self) -> String {
        let mut out = toml::to_string(self).unwrap_or_default();
        let token = |t: &Option<String>| if t.is_some() { "set" } else { "not set" };
        out.push_str(&format!(
            "# fleet_key: {}\n",
            if self.fleet.key.is_some() {
                "set"
            } else {
                "not set"
            }
        ));
        out.push_str(&format!(
            "# admin_token: {}\n# client tokens: {}\n",
            token(&self.admin_token),
            if self.tenants.is_empty() {
                "none".to_owned()
            } else {
                self.tenants.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merge(args: ServeArgs, file: FileConfig) -> Result<Settings, ConfigError> {
        Settings::merge(
            &args,
            &file,
            Some(Path::new("tailor.toml")),
            None,
            Some(None),
        )
    }

    #[test]
    fn a_flag_beats_the_file_and_the_file_beats_the_default() {
        let file = FileConfig {
            body_mib: Some(8),
            tenant_queue: Some(5),
            ..FileConfig::default()
        };
        let args = ServeArgs {
            body_mib: Some(16),
            ..ServeArgs::default()
        };
        let s = merge(args, file).expect("valid");
        assert_eq!((s.body_mib, s.tenant_queue), (16, 5));
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert!(s.listen.ip().is_loopback());
    }

    #[test]
    fn every_value_out_of_range_is_named_with_where_it_came_from() {
        let file = FileConfig {
            request_ms: Some(0),
            shadow: Some(2.0),
            ..FileConfig::default()
        };
        let args = ServeArgs {
            body_mib: Some(999_999),
            listen: Some("localhost".into()),
            ..ServeArgs::default()
        };
        let e = merge(args, file).expect_err("out of range").0;
        assert!(
            e.contains("--body-mib (or TAILOR_BODY_MIB) is 999999; it must be 1 to 4096"),
            "{e}"
        );
        assert!(e.contains("`request_ms` in tailor.toml is 0"), "{e}");
        assert!(e.contains("`shadow` in tailor.toml is 2"), "{e}");
        assert!(
            e.contains("--listen (or TAILOR_LISTEN) is `localhost`"),
            "{e}"
        );
    }

    #[test]
    fn short_or_shared_tokens_are_refused() {
        let mut tenants = BTreeMap::new();
        tenants.insert("a".to_owned(), "x".repeat(20));
        tenants.insert("b".to_owned(), "x".repeat(20));
        let file = FileConfig {
            admin_token: Some("short".into()),
            tenants,
            ..FileConfig::default()
        };
        let e = merge(ServeArgs::default(), file).expect_err("refused").0;
        assert!(e.contains("the admin token must be at least 16"), "{e}");
        assert!(e.contains("tenants `a` and `b` share a token"), "{e}");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_an_error() {
        let e = toml::from_str::<FileConfig>("bodymib = 3\n").expect_err("unknown");
        assert!(e.to_string().contains("bodymib"), "{e}");
    }

    #[test]
    fn printed_settings_hide_tokens_and_read_back() {
        let file = FileConfig {
            admin_token: Some("a".repeat(32)),
            client_token: Some("c".repeat(32)),
            ..FileConfig::default()
        };
        let s = merge(ServeArgs::default(), file).expect("valid");
        let text = s.to_toml();
        assert!(!text.contains(&"a".repeat(32)) && !text.contains(&"c".repeat(32)));
        assert!(text.contains("# client tokens: default"), "{text}");
        let back: FileConfig = toml::from_str(&text).expect("the printout is a config file");
        assert_eq!(back.body_mib, Some(s.body_mib));
    }
}
