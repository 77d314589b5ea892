//! Starting and stopping server processes for tests.
//!
//! A [`ServerProcess`] runs `redis-server` or `redoubt-server` on a free loopback port in a
//! temporary directory of its own, waits until it answers PING, and kills it on drop, so servers
//! stop even when a test panics. Both binaries take the same `--name value` options.

use crate::client::Client;
use crate::reply::Reply;
use std::collections::HashSet;
use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a server may take to answer its first PING.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// How many fresh ports are tried when a server fails to start (e.g. a port collision).
const START_ATTEMPTS: usize = 5;

/// Ports this test process already handed out, so two tests never race for one.
static USED_PORTS: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
static DIR_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Finds a loopback port nobody listens on: binds 127.0.0.1:0, notes the port, releases it.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let listener = TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        drop(listener);
        if port == 0 {
            continue;
        }
        let mut used = USED_PORTS.lock().unwrap_or_else(|p| p.into_inner());
        if used.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
    panic!("could not find a free loopback port");
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).map(|m| m.is_file()).unwrap_or(false)
}

fn search_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// The reference server: `$REDIS_SERVER_BIN`, else `redis-server` on `PATH`.
pub fn redis_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REDIS_SERVER_BIN") {
        let path = PathBuf::from(path);
        assert!(
            is_executable(&path),
            "REDIS_SERVER_BIN={} does not exist",
            path.display()
        );
        return path;
    }
    search_path("redis-server").unwrap_or_else(|| {
        panic!(
            "redis-server not found on PATH. The compatibility tests compare every reply with a real \
             Redis 7.0: install it (`apt-get install redis-server`) or set REDIS_SERVER_BIN."
        )
    })
}

/// Our server: `$REDOUBT_SERVER_BIN`, else `debug/redoubt-server` under `$CARGO_TARGET_DIR`, the
/// target directory this test binary was built in, or `<workspace>/target`.
pub fn redoubt_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REDOUBT_SERVER_BIN") {
        let path = PathBuf::from(path);
        assert!(
            is_executable(&path),
            "REDOUBT_SERVER_BIN={} does not exist",
            path.display()
        );
        return path;
    }
    let root = workspace_root();
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        candidates.push(if dir.is_absolute() {
            dir
        } else {
            root.join(dir)
        });
    }
    if let Some(dir) = option_env!("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        candidates.push(if dir.is_absolute() {
            dir
        } else {
            root.join(dir)
        });
    }
    // The test binary lives in <target>/debug/deps/.
    if let Ok(exe) = std::env::current_exe() {
        if let Some(target) = exe.parent().and_then(Path::parent).and_then(Path::parent) {
            candidates.push(target.to_path_buf());
        }
    }
    candidates.push(root.join("target"));
    let tried: Vec<PathBuf> = candidates
        .iter()
        .map(|t| t.join("debug").join("redoubt-server"))
        .collect();
    if let Some(found) = tried.iter().find(|p| is_executable(p)) {
        return found.clone();
    }
    panic!(
        "redoubt-server binary not found (looked at {}). Build it first with \
         `cargo build -p redoubt-server` (same CARGO_TARGET_DIR as the tests), or point \
         REDOUBT_SERVER_BIN at a binary (REDOUBT_SERVER_BIN=/usr/bin/redis-server runs the suite \
         redis-vs-redis).",
        tried
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// A private temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = DIR_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "redoubt-tests.{}.{label}.{n}.{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A running server process, killed on drop.
pub struct ServerProcess {
    child: Child,
    port: u16,
    name: String,
    binary: PathBuf,
    // Removed (by its own Drop) after `Drop for ServerProcess` has killed the process.
    dir: TempDir,
}

impl ServerProcess {
    /// Starts the reference `redis-server` with `extra` options appended.
    pub fn redis(extra: &[&str]) -> ServerProcess {
        ServerProcess::start("redis", &redis_binary(), extra)
    }

    /// Starts `redoubt-server` (see [`redoubt_binary`]) with `extra` options appended.
    pub fn redoubt(extra: &[&str]) -> ServerProcess {
        ServerProcess::start("redoubt", &redoubt_binary(), extra)
    }

    /// Starts `binary --port P --bind 127.0.0.1 --save "" --appendonly no --dir TMP <extra>`,
    /// retrying on a fresh port if it dies before answering, and panics (with its log) if it
    /// never answers PING within [`STARTUP_TIMEOUT`].
    pub fn start(name: &str, binary: &Path, extra: &[&str]) -> ServerProcess {
        ServerProcess::start_with_config(name, binary, None, extra)
    }

    /// Like [`ServerProcess::start`], first writing `config` (redis.conf syntax) to
    /// `redis.conf` in the server's directory and passing its path as the first argument.
    /// The command-line options still follow it and win, as in Redis.
    pub fn start_with_config(
        name: &str,
        binary: &Path,
        config: Option<&str>,
        extra: &[&str],
    ) -> ServerProcess {
        let mut failures = Vec::new();
        for _ in 0..START_ATTEMPTS {
            match ServerProcess::try_start(name, binary, config, extra) {
                Ok(server) => return server,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "{name} ({}) did not start after {START_ATTEMPTS} attempts:\n{}",
            binary.display(),
            failures.join("\n---\n")
        );
    }

    fn try_start(
        name: &str,
        binary: &Path,
        config: Option<&str>,
        extra: &[&str],
    ) -> Result<ServerProcess, String> {
        let port = free_port();
        let dir = TempDir::new(name);
        let config_path = dir.0.join("redis.conf");
        let config_text = config_path.to_string_lossy().into_owned();
        if let Some(text) = config {
            fs::write(&config_path, text)
                .map_err(|e| format!("cannot write {config_text}: {e}"))?;
        }
        let log_path = dir.0.join("server.log");
        let log = File::create(&log_path).map_err(|e| format!("cannot create log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot clone log: {e}"))?;
        let port_text = port.to_string();
        let dir_text = dir.0.to_string_lossy().into_owned();
        let mut args: Vec<&str> = Vec::new();
        if config.is_some() {
            args.push(&config_text);
        }
        args.extend([
            "--port",
            &port_text,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &dir_text,
        ]);
        args.extend_from_slice(extra);
        let child = Command::new(binary)
            .args(&args)
            .current_dir(&dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .map_err(|e| format!("cannot spawn {}: {e}", binary.display()))?;
        let mut server = ServerProcess {
            child,
            port,
            name: name.to_string(),
            binary: binary.to_path_buf(),
            dir,
        };
        server
            .wait_ready()
            .map_err(|why| format!("{why}\nargs: {args:?}\nlog:\n{}", server.log()))?;
        Ok(server)
    }

    /// Polls until the server answers PING (any reply but -LOADING, NOAUTH included) and is our
    /// child.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited before answering PING: {status}"));
            }
            if let Ok(mut client) = Client::try_connect(self.port) {
                client.send(&["PING"]);
                if let Ok(reply) = client.recv_timeout(Duration::from_secs(2)) {
                    // Still loading its dataset: not ready for tests yet.
                    if reply.error_text().is_some_and(|e| e.starts_with("LOADING")) {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                    // A server from someone else may own the port if ours lost the race for it.
                    if let Ok(Some(status)) = self.child.try_wait() {
                        return Err(format!("exited (port taken?): {status}"));
                    }
                    if !reply.is_error() {
                        client.send(&["INFO", "server"]);
                        if let Ok(info) = client.recv_timeout(Duration::from_secs(2)) {
                            if let Some(pid) = info_field(&info, "process_id") {
                                if pid != self.child.id().to_string() {
                                    return Err(format!(
                                        "port {} answered by another process ({pid})",
                                        self.port
                                    ));
                                }
                            }
                        }
                    }
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("no PING reply within {STARTUP_TIMEOUT:?}"))
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The config file it was started with, if any.
    pub fn config_path(&self) -> Option<PathBuf> {
        let path = self.dir.0.join("redis.conf");
        path.exists().then_some(path)
    }

    /// Its working directory (`--dir`).
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// "redis" or "redoubt" (used in failure messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The binary it runs.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A new connection to it.
    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }

    /// Everything it wrote to stdout/stderr so far.
    pub fn log(&self) -> String {
        fs::read(self.dir.0.join("server.log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits up to `timeout` for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Reads `name:value` from an INFO reply (bulk or verbatim text).
pub fn info_field(info: &Reply, name: &str) -> Option<String> {
    let text = info.as_text()?;
    let prefix = format!("{name}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix).map(|v| v.trim().to_string()))
}
