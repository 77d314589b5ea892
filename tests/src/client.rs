//! A blocking RESP2/RESP3 client over `std::net::TcpStream`.
//!
//! Every read has a timeout, so a server that hangs makes a test fail with a message instead of
//! hanging the suite. Besides plain request/reply (`cmd`), it can send raw bytes and read frames
//! one at a time, which the protocol tests use for pipelines and malformed input.

use crate::reply::{encode_command, format_command, parse_reply, ParseError, Reply};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long a read waits before the test is failed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why no reply could be read.
#[derive(Debug)]
pub enum RecvError {
    /// Nothing (complete) arrived within the timeout.
    Timeout,
    /// The server closed the connection (EOF or reset).
    Closed,
    /// The bytes received are not valid RESP.
    Protocol(ParseError),
    /// Any other socket error.
    Io(io::Error),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Timeout => f.write_str("timed out waiting for a reply"),
            RecvError::Closed => f.write_str("connection closed by server"),
            RecvError::Protocol(e) => write!(f, "{e}"),
            RecvError::Io(e) => write!(f, "socket error: {e}"),
        }
    }
}

/// One connection to a server.
pub struct Client {
    stream: TcpStream,
    port: u16,
    buf: Vec<u8>,
    timeout: Duration,
    protocol: u8,
}

impl Client {
    /// Connects to 127.0.0.1:`port`; panics with the reason if that fails.
    pub fn connect(port: u16) -> Client {
        Client::try_connect(port)
            .unwrap_or_else(|e| panic!("cannot connect to 127.0.0.1:{port}: {e}"))
    }

    /// Connects to 127.0.0.1:`port`.
    pub fn try_connect(port: u16) -> io::Result<Client> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(DEFAULT_TIMEOUT))?;
        Ok(Client {
            stream,
            port,
            buf: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            protocol: 2,
        })
    }

    /// The server port this client talks to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The protocol version last negotiated with [`Client::hello`] (2 until then).
    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// Sets how long `recv` waits for a reply.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The current read timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a command and waits for its reply; panics on timeout, disconnect or a malformed
    /// reply.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Reply {
        self.send(args);
        match self.try_recv() {
            Ok(reply) => reply,
            Err(e) => panic!("port {}: {} after `{}`", self.port, e, format_command(args)),
        }
    }

    /// Sends a command without reading its reply.
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.send_raw(&encode_command(args));
    }

    /// Writes raw bytes (inline commands, malformed frames, hand-built pipelines).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if let Err(e) = self.try_send_raw(bytes) {
            panic!("port {}: write failed: {e}", self.port);
        }
    }

    /// Writes raw bytes, returning the error instead of panicking (the server may have closed).
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads the next frame; panics on timeout, disconnect or a malformed reply.
    pub fn recv(&mut self) -> Reply {
        match self.try_recv() {
            Ok(reply) => reply,
            Err(e) => panic!("port {}: {e}", self.port),
        }
    }

    /// Reads the next frame.
    pub fn try_recv(&mut self) -> Result<Reply, RecvError> {
        self.recv_frame().map(|(reply, _)| reply)
    }

    /// Reads the next frame, waiting at most `timeout` (the client's own timeout is unchanged).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Reply, RecvError> {
        let saved = self.timeout;
        self.timeout = timeout;
        let result = self.try_recv();
        self.timeout = saved;
        result
    }

    /// Reads the next frame and returns its exact bytes.
    pub fn recv_raw(&mut self) -> Vec<u8> {
        match self.recv_frame() {
            Ok((_, raw)) => raw,
            Err(e) => panic!("port {}: {e}", self.port),
        }
    }

    fn recv_frame(&mut self) -> Result<(Reply, Vec<u8>), RecvError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some((reply, used)) = parse_reply(&self.buf).map_err(RecvError::Protocol)? {
                let raw: Vec<u8> = self.buf.drain(..used).collect();
                return Ok((reply, raw));
            }
            self.fill(deadline)?;
        }
    }

    /// Reads more bytes into the buffer, failing with `Timeout` at `deadline`.
    fn fill(&mut self, deadline: Instant) -> Result<(), RecvError> {
        let now = Instant::now();
        if now >= deadline {
            return Err(RecvError::Timeout);
        }
        let wait = (deadline - now).max(Duration::from_millis(1));
        self.stream
            .set_read_timeout(Some(wait))
            .map_err(RecvError::Io)?;
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(RecvError::Closed),
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Err(RecvError::Timeout)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) =>
            {
                Err(RecvError::Closed)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(RecvError::Io(e)),
        }
    }

    /// True if the server closes the connection within `within` without sending anything more.
    /// Bytes that arrive instead stay buffered for the next `recv`, and the answer is false.
    pub fn is_closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        matches!(self.fill(deadline), Err(RecvError::Closed))
    }

    /// True if nothing at all arrives within `within` (and the connection stays open).
    pub fn is_silent_for(&mut self, within: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let deadline = Instant::now() + within;
        matches!(self.fill(deadline), Err(RecvError::Timeout))
    }

    /// Bytes received but not yet parsed into a frame.
    pub fn pending_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Sends `HELLO proto` and remembers the protocol if the server accepted it.
    pub fn hello(&mut self, proto: u8) -> Reply {
        let reply = self.cmd(&["HELLO", &proto.to_string()]);
        if !reply.is_error() {
            self.protocol = proto;
        }
        reply
    }

    /// Sends every command in one write (from a helper thread, so a server that stops reading
    /// while its replies are unread cannot deadlock the test) and reads one reply per command.
    pub fn pipeline<A: AsRef<[u8]>>(&mut self, commands: &[Vec<A>]) -> Vec<Reply> {
        let mut bytes = Vec::new();
        for command in commands {
            bytes.extend_from_slice(&encode_command(command));
        }
        self.pipeline_raw(bytes, commands.len())
    }

    /// Writes `bytes` from a helper thread and reads `replies` frames.
    pub fn pipeline_raw(&mut self, bytes: Vec<u8>, replies: usize) -> Vec<Reply> {
        let mut writer = self
            .stream
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot clone socket: {e}"));
        let port = self.port;
        let handle = std::thread::spawn(move || {
            writer
                .write_all(&bytes)
                .and_then(|_| writer.flush())
                .map_err(|e| format!("port {port}: pipeline write failed: {e}"))
        });
        let mut out = Vec::with_capacity(replies);
        for i in 0..replies {
            match self.try_recv() {
                Ok(reply) => out.push(reply),
                Err(e) => panic!("port {port}: {e} while reading pipelined reply {i} of {replies}"),
            }
        }
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("pipeline writer thread panicked"),
        }
        out
    }

    /// Closes the write side (the server sees EOF).
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}
