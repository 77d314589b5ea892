//! Test support: a real redis-server 7.0 in a temporary directory (stopped on drop, even on panic),
//! a minimal RESP client, and the `redoubt-aof` binary.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use redoubt_aof::command::encode_command;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A redis-server child process; killed on drop.
pub struct Redis {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl Redis {
    /// Starts redis-server in `dir` with `--save ""` plus `extra`.
    pub fn start(dir: &Path, extra: &[&str]) -> Redis {
        let port = free_port();
        let mut cmd = Command::new("redis-server");
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir.to_str().unwrap(),
            "--save",
            "",
            "--enable-debug-command",
            "yes",
            "--logfile",
            "redis.log",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        let child = cmd.spawn().expect("redis-server 7.0 is installed");
        let r = Redis {
            port,
            dir: dir.to_path_buf(),
            child,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut c) = r.try_client() {
                if let Ok(Reply::Status(s)) = c.cmd(&["PING"]) {
                    if s == "PONG" {
                        break;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not start; log: {}",
                std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        r
    }

    fn try_client(&self) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", self.port))?;
        Ok(Client {
            w: s.try_clone()?,
            r: BufReader::new(s),
        })
    }

    pub fn client(&self) -> Client {
        self.try_client().expect("connect to redis")
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Waits until no AOF rewrite is running or scheduled.
    pub fn wait_rewrite_done(&self) {
        let mut c = self.client();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let info = c.info("persistence");
            if info.contains("aof_rewrite_in_progress:0")
                && info.contains("aof_rewrite_scheduled:0")
            {
                return;
            }
            assert!(Instant::now() < deadline, "AOF rewrite did not finish");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// BGREWRITEAOF and wait for it.
    pub fn rewrite(&self) {
        self.wait_rewrite_done();
        let mut c = self.client();
        let r = c.cmd(&["BGREWRITEAOF"]);
        assert!(matches!(r, Ok(Reply::Status(_))), "{r:?}");
        self.wait_rewrite_done();
        let info = c.info("persistence");
        assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
    }

    pub fn digest(&self) -> String {
        match self.client().cmd(&["DEBUG", "DIGEST"]) {
            Ok(Reply::Status(s)) => s,
            other => panic!("DEBUG DIGEST: {other:?}"),
        }
    }
}

impl Drop for Redis {
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
    Array(Vec<Reply>),
}

pub struct Client {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Client {
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> std::io::Result<Reply> {
        let mut buf = Vec::new();
        let refs: Vec<&[u8]> = args.iter().map(|a| a.as_ref()).collect();
        encode_command(&mut buf, &refs);
        self.w.write_all(&buf)?;
        self.read()
    }

    /// Sends and asserts a non-error reply.
    pub fn ok<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        let r = self.cmd(args).unwrap();
        assert!(!matches!(r, Reply::Error(_)), "{r:?}");
        r
    }

    pub fn info(&mut self, section: &str) -> String {
        match self.cmd(&["INFO", section]).unwrap() {
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("INFO: {other:?}"),
        }
    }

    pub fn dbsize(&mut self) -> i64 {
        match self.cmd(&["DBSIZE"]).unwrap() {
            Reply::Int(n) => n,
            other => panic!("DBSIZE: {other:?}"),
        }
    }

    fn read(&mut self) -> std::io::Result<Reply> {
        let mut line = Vec::new();
        self.r.read_until(b'\n', &mut line)?;
        if line.len() < 3 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "short reply",
            ));
        }
        let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
        Ok(match line[0] {
            b'+' => Reply::Status(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Int(text.parse().unwrap()),
            b'$' => {
                let n: i64 = text.parse().unwrap();
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut v = vec![0u8; n as usize + 2];
                    self.r.read_exact(&mut v)?;
                    v.truncate(n as usize);
                    Reply::Bulk(Some(v))
                }
            }
            b'*' => {
                let n: i64 = text.parse().unwrap();
                let mut v = Vec::new();
                for _ in 0..n.max(0) {
                    v.push(self.read()?);
                }
                Reply::Array(v)
            }
            _ => panic!("bad reply {line:?}"),
        })
    }
}

/// Runs `redoubt-aof` with `args`, feeding `stdin`.
pub fn aof_tool(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redoubt-aof"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// The encoded form of commands, as Redis writes them.
pub fn encode_all(cmds: &[Vec<&[u8]>]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in cmds {
        encode_command(&mut out, c);
    }
    out
}
