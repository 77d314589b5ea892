//! The `redoubt-server` binary: `redoubt-server [config-file] [--option value ...]`.

use redoubt_server::{alloc::CountingAllocator, aof, build, config::Config, persistence, run};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-v" || a == "--version") {
        println!(
            "Redoubt server v={} (Redis 7.0 compatible)",
            env!("CARGO_PKG_VERSION")
        );
        return;
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("Usage: redoubt-server [/path/to/redis.conf] [--option value ...]");
        println!("Options are redis.conf directives, e.g. --port 7777 --maxmemory 1gb --save \"\"");
        return;
    }
    if args.first().map(String::as_str) == Some("--aof-to-rdb") {
        std::process::exit(aof_to_rdb(&args[1..]));
    }
    let config = match Config::from_args(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.0);
            std::process::exit(1);
        }
    };
    if config.get("disable-thp") != Some("no") {
        redoubt_server::alloc::disable_transparent_huge_pages();
    }
    let level = match config.get("loglevel").unwrap_or("notice") {
        "debug" => "debug",
        "verbose" => "info",
        "warning" => "warn",
        "nothing" => "off",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .init();
    // `io-threads` (Redis's option, default 1) sets how many threads serve connections. With 1, the
    // server runs on one thread like Redis: on small machines that is fastest, since the state lock
    // is never contended and no task migrates between cores.
    let threads: usize = config
        .get("io-threads")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    };
    let shared = build(config);
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(shared)) {
        eprintln!("Could not create server TCP listening socket: {e}");
        std::process::exit(1);
    }
    // Connections may still be open; they end with the process.
    runtime.shutdown_background();
}

/// `redoubt-server --aof-to-rdb IN OUT` (run by `redoubt-aof to-rdb`): loads the log offline with
/// the server's command semantics and saves the dataset to OUT. Returns the exit code.
fn aof_to_rdb(args: &[String]) -> i32 {
    let [input, out] = args else {
        eprintln!("usage: redoubt-server --aof-to-rdb DIR|MANIFEST|FILE OUT.rdb");
        return 2;
    };
    let out = std::path::Path::new(out);
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dump.rdb".into());
    let options: Vec<String> = [
        "--save",
        "",
        "--aof-load-truncated",
        "no",
        "--dir",
        &dir.to_string_lossy(),
        "--dbfilename",
        &name,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let config = match Config::from_args(&options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.0);
            return 2;
        }
    };
    let shared = build(config);
    let mut st = shared.state.lock();
    st.loading = true;
    if let Err(e) = aof::load::load_for_conversion(&shared, &mut st, std::path::Path::new(input)) {
        eprintln!("{e}");
        return 1;
    }
    st.loading = false;
    let keys: usize = st.dbs.iter().map(|d| d.len()).sum();
    match persistence::save::save_state(&st, redoubt_server::server::now_ms()) {
        Ok(size) => {
            println!("{keys} keys written to {} ({size} bytes)", out.display());
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}
