//! redoubt-server: a Redis-compatible server built around durability.
//!
//! Layout: `protocol` (the wire), `connection` (one client's read/execute/write loop), `server` (the
//! shared state and the dispatcher), `command` (the command table), `commands` (handlers, one module
//! per command family), `keyspace` (databases and expiry), `types` (value types), `persistence` (RDB
//! snapshots: save, load, digest), plus the cross-cutting `config`, `pubsub`, `blocking`, `notify`,
//! `eviction` and `alloc`.

pub mod alloc;
pub mod aof;
pub mod blocking;
pub mod client;
pub mod command;
pub mod commands;
pub mod config;
pub mod connection;
pub mod eviction;
pub mod glob;
pub mod keyspace;
pub mod metrics;
pub mod notify;
pub mod persistence;
pub mod propagate;
pub mod protocol;
pub mod pubsub;
pub mod rdb_values;
pub mod replication;
pub mod server;
pub mod types;

use server::{Shared, State};
use std::sync::Arc;
use std::time::Instant;
use tokio::net::TcpListener;

/// Builds the shared server from a configuration.
pub fn build(config: config::Config) -> Arc<Shared> {
    let table = command::CommandTable::build(&commands::handlers());
    let port = config
        .get("port")
        .and_then(|p| p.parse().ok())
        .unwrap_or(6379);
    let config_file = config
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut state = State::new(config);
    let load_progress = state.load_progress.clone();
    state.command_stats = vec![Default::default(); table.stat_names.len()];
    let run_id: String = {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        (0..40)
            .map(|_| format!("{:x}", rng.gen_range(0..16)))
            .collect()
    };
    let shared = Arc::new(Shared {
        state: parking_lot::Mutex::new(state),
        table,
        started: Instant::now(),
        start_unix: server::now_ms() / 1000,
        run_id,
        port,
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        config_file,
        shutdown: tokio::sync::Notify::new(),
        background_done: tokio::sync::Notify::new(),
        me: std::sync::OnceLock::new(),
        load_progress,
    });
    let _ = shared.me.set(Arc::downgrade(&shared));
    shared.state.lock().shared = Arc::downgrade(&shared);
    shared
}

/// Binds the configured addresses and serves until SHUTDOWN or a signal.
pub async fn run(shared: Arc<Shared>) -> std::io::Result<()> {
    let binds: Vec<String> = {
        let st = shared.state.lock();
        st.config
            .get("bind")
            .unwrap_or("127.0.0.1")
            .split_whitespace()
            .map(|s| s.trim_start_matches('-').to_string())
            .collect()
    };
    // With a dataset to load, connections answer -LOADING from the first one on (they do not
    // wait for the lock the load holds).
    {
        let st = shared.state.lock();
        if let Some(size) = dataset_to_load(&st) {
            shared.load_progress.begin(size);
        }
    }
    let mut listeners = Vec::new();
    for b in &binds {
        let host = if b == "*" { "0.0.0.0" } else { b.as_str() };
        let addr = if host.contains(':') {
            format!("[{host}]:{}", shared.port)
        } else {
            format!("{host}:{}", shared.port)
        };
        match TcpListener::bind(&addr).await {
            Ok(l) => listeners.push(l),
            Err(e) if binds.len() > 1 => tracing::warn!("could not bind {addr}: {e}"),
            Err(e) => return Err(e),
        }
    }
    for l in listeners {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                match l.accept().await {
                    Ok((socket, addr)) => {
                        tokio::spawn(connection::serve(shared.clone(), socket, addr));
                    }
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                }
            }
        });
    }
    // The dataset is loaded while connections are already accepted (they get -LOADING); a file
    // that cannot be loaded stops the server rather than starting it with part of the data.
    let loader = shared.clone();
    let loaded = tokio::task::spawn_blocking(move || load_dataset(&loader)).await;
    match loaded {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::error!("{e}");
            tracing::error!("Fatal error loading the DB. Exiting.");
            std::process::exit(1);
        }
        Err(e) => {
            tracing::error!("the loading thread failed: {e}");
            std::process::exit(1);
        }
    }
    tracing::info!(port = shared.port, "Ready to accept connections tcp");
    {
        // `replicaof <host> <port>` in the configuration: follow that master from the start.
        let mut st = shared.state.lock();
        let target = st
            .config
            .get("replicaof")
            .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
            .unwrap_or_default();
        if let [host, port] = &target[..] {
            if let Ok(port) = port.parse() {
                replication::replica::become_replica(shared.clone(), &mut st, host.clone(), port);
            }
        }
    }
    tokio::spawn(cron(shared.clone()));
    let mut terminate = Terminate::new();
    // SHUTDOWN has saved already; a signal saves here (when save points are configured), and a
    // failed save keeps the server running, as in Redis.
    for _ in 0..u64::MAX {
        tokio::select! {
            _ = shared.shutdown.notified() => break,
            _ = tokio::signal::ctrl_c() => tracing::info!("Received SIGINT scheduling shutdown..."),
            _ = terminate.recv() => tracing::info!("Received SIGTERM scheduling shutdown..."),
        }
        let mut st = shared.state.lock();
        if persistence::prepare_shutdown(
            &mut st,
            persistence::ShutdownFlags::default(),
            server::now_ms(),
        )
        .is_ok()
        {
            break;
        }
        tracing::warn!(
            "Errors trying to shut down the server. Check the logs for more information."
        );
    }
    tracing::info!("Redoubt is now ready to exit, bye bye...");
    Ok(())
}

/// The size of what the startup load will read, if there is anything: the AOF directory (or a
/// legacy single file) with `appendonly yes`, else the RDB dump.
fn dataset_to_load(st: &State) -> Option<u64> {
    let size = |p: &std::path::Path| std::fs::metadata(p).ok().map(|m| m.len());
    if st.config.get("appendonly") == Some("yes") {
        let dir = aof::dir(st);
        let in_dir: u64 = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        let legacy =
            std::path::PathBuf::from(st.config.get("dir").unwrap_or(".")).join(aof::prefix(st));
        let total = in_dir + size(&legacy).unwrap_or(0);
        return (total > 0).then_some(total);
    }
    size(&persistence::save::SaveTarget::from_state(st).path())
}

/// Loads the AOF (with `appendonly yes`) or the RDB at startup, reporting progress.
fn load_dataset(shared: &Shared) -> Result<(), String> {
    let mut st = shared.state.lock();
    st.loading = true;
    let outcome = match aof::load::load_at_startup(shared, &mut st) {
        Ok(true) => Ok(()),
        Ok(false) => persistence::load_at_startup(&mut st)
            .map_err(|e| format!("Internal error in RDB reading: {e}")),
        Err(e) => Err(e),
    };
    st.loading = false;
    shared.load_progress.end();
    outcome
}

/// SIGTERM, which may arrive more than once (a shutdown whose save failed keeps serving).
struct Terminate {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Terminate {
    fn new() -> Terminate {
        Terminate {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(s) = self.signal.as_mut() {
            s.recv().await;
            return;
        }
        std::future::pending::<()>().await
    }
}

/// The periodic housekeeping of `serverCron`: active expiry, background saves and save points,
/// idle-client timeouts, pause expiry.
async fn cron(shared: Arc<Shared>) {
    loop {
        let hz = shared.state.lock().config.tunables.hz.max(1);
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(1000 / hz as u64)) => {}
            _ = shared.background_done.notified() => {}
        }
        let now = server::now_ms();
        let mut st = shared.state.lock();
        let effort = st.config.tunables.active_expire_effort as u64;
        let budget_us = 1_000_000 / hz as u64 * (25 + 2 * (effort - 1)) / 100;
        let t = Instant::now();
        // A replica never expires keys itself: its master's DELs do.
        if !st.repl.is_replica() {
            eviction::active_expire_cycle(&mut st, now, budget_us);
            propagate::flush(&mut st, false);
        }
        if st.config.get("activerehashing") != Some("no") {
            // Like Redis's databasesCron: a millisecond per run for the dbs' resizes under way.
            let deadline = Instant::now() + std::time::Duration::from_millis(1);
            for db in st.dbs.iter_mut() {
                if !db.rehash_for(deadline.saturating_duration_since(Instant::now())) {
                    break;
                }
            }
        }
        replication::cron(&mut st, now);
        let (ops, input, output) = (
            st.stats.total_commands,
            st.stats.net_input_bytes,
            st.stats.net_output_bytes,
        );
        st.rates.ops.track(ops, now);
        st.rates.net_input.track(input, now);
        st.rates.net_output.track(output, now);
        st.stats.expire_cycle_cpu_ms += t.elapsed().as_millis() as u64;
        persistence::cron(&mut st, now);
        aof::cron(&mut st, now);
        if st.pause.is_some_and(|p| p.until_ms <= now) {
            st.pause = None;
        }
        let timeout = st.config.tunables.timeout_secs;
        if timeout > 0 {
            for c in st.clients.values() {
                let idle = (now - c.last_interaction_ms) / 1000;
                if idle as u64 > timeout
                    && !c.blocked
                    && c.subscriptions + c.psubscriptions == 0
                    && !c.monitor
                {
                    c.send(client::Outbound::Kill);
                }
            }
        }
        if st.shutdown_requested {
            shared.shutdown.notify_one();
        }
    }
}
