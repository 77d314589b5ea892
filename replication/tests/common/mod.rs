//! Test support: a real redis-server 7.0 on a free loopback port (killed on drop) and a tiny
//! blocking RESP client to drive it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A redis-server child process in its own temp dir.
pub struct RedisServer {
    pub port: u16,
    child: Child,
    password: Option<String>,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl RedisServer {
    /// Starts redis-server with `--save "" --appendonly no` plus `extra` arguments.
    pub fn start(extra: &[&str]) -> RedisServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let password = extra
            .iter()
            .position(|a| *a == "--requirepass")
            .and_then(|i| extra.get(i + 1))
            .map(|s| s.to_string());
        let log = std::fs::File::create(dir.path().join("redis.log")).expect("log file");
        let child = Command::new("redis-server")
            .arg("--port")
            .arg(port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(extra)
            .stdout(Stdio::from(log))
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        let server = RedisServer {
            port,
            child,
            password,
            _dir: dir,
        };
        for _ in 0..100 {
            if let Ok(mut c) = Client::try_connect(port) {
                if let Ok(r) = c.cmd(&["PING"]) {
                    if r == Reply::Status("PONG".into()) || matches!(r, Reply::Error(_)) {
                        return server;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {port}");
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A client, authenticated when the server has `--requirepass`.
    pub fn client(&self) -> Client {
        let mut c = Client::try_connect(self.port).expect("connect");
        if let Some(p) = &self.password {
            assert_eq!(c.cmd(&["AUTH", p]).unwrap(), Reply::Status("OK".into()));
        }
        c
    }

    /// `master_repl_offset` from INFO replication.
    pub fn master_repl_offset(&self) -> u64 {
        self.info_field("master_repl_offset")
            .parse()
            .expect("numeric offset")
    }

    /// One field of INFO replication.
    pub fn info_field(&self, name: &str) -> String {
        let Reply::Bulk(Some(info)) = self.client().cmd(&["INFO", "replication"]).unwrap() else {
            panic!("INFO reply");
        };
        let text = String::from_utf8_lossy(&info).into_owned();
        text.lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("{name} in INFO: {text}"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// A blocking RESP2 client.
pub struct Client {
    r: BufReader<TcpStream>,
}

impl Client {
    pub fn try_connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        Ok(Client {
            r: BufReader::new(s),
        })
    }

    pub fn cmd(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
        }
        self.r.get_mut().write_all(&out)?;
        self.read_reply()
    }

    fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        let line = line.trim_end_matches("\r\n");
        let bad = || std::io::Error::other(format!("bad reply {line:?}"));
        let (t, rest) = line.split_at_checked(1).ok_or_else(bad)?;
        Ok(match t {
            "+" => Reply::Status(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().map_err(|_| bad())?),
            "$" => {
                let n: i64 = rest.parse().map_err(|_| bad())?;
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut v = vec![0u8; n as usize + 2];
                    self.r.read_exact(&mut v)?;
                    v.truncate(n as usize);
                    Reply::Bulk(Some(v))
                }
            }
            "*" => {
                let n: i64 = rest.parse().map_err(|_| bad())?;
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let mut items = Vec::new();
                    for _ in 0..n {
                        items.push(self.read_reply()?);
                    }
                    Reply::Array(Some(items))
                }
            }
            _ => return Err(bad()),
        })
    }

    /// Runs a command that must succeed.
    pub fn ok(&mut self, args: &[&str]) -> Reply {
        let r = self.cmd(args).expect("reply");
        assert!(!matches!(r, Reply::Error(_)), "{args:?} -> {r:?}");
        r
    }
}
