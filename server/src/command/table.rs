//! The table the dispatcher looks commands up in: Redis's metadata joined with our handlers.

use super::reference::{self, CommandMeta};
use crate::protocol::Reply;
use crate::server::Ctx;
use ahash::AHashMap as HashMap;
use bytes::Bytes;

/// A command implementation: gets the whole argument vector (`args[0]` is the name as sent).
pub type Handler = fn(&mut Ctx, &[Bytes]) -> Reply;

/// The command flags the dispatcher acts on (a subset of Redis's, parsed from the metadata).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const WRITE: Flags = Flags(1);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 3);
    pub const PUBSUB: Flags = Flags(1 << 4);
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    pub const BLOCKING: Flags = Flags(1 << 6);
    pub const NO_AUTH: Flags = Flags(1 << 7);
    pub const NO_MULTI: Flags = Flags(1 << 8);
    pub const SKIP_MONITOR: Flags = Flags(1 << 9);
    pub const FAST: Flags = Flags(1 << 10);
    pub const ALLOW_BUSY: Flags = Flags(1 << 11);
    pub const MOVABLEKEYS: Flags = Flags(1 << 12);
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 13);
    pub const LOADING: Flags = Flags(1 << 14);
    pub const STALE: Flags = Flags(1 << 15);

    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    fn from_names(names: &[String]) -> Flags {
        let mut f = 0;
        for n in names {
            f |= match n.as_str() {
                "write" => Flags::WRITE.0,
                "readonly" => Flags::READONLY.0,
                "denyoom" => Flags::DENYOOM.0,
                "admin" => Flags::ADMIN.0,
                "pubsub" => Flags::PUBSUB.0,
                "noscript" => Flags::NOSCRIPT.0,
                "blocking" => Flags::BLOCKING.0,
                "no_auth" => Flags::NO_AUTH.0,
                "no_multi" => Flags::NO_MULTI.0,
                "skip_monitor" => Flags::SKIP_MONITOR.0,
                "fast" => Flags::FAST.0,
                "allow_busy" => Flags::ALLOW_BUSY.0,
                "movablekeys" => Flags::MOVABLEKEYS.0,
                "skip_slowlog" => Flags::SKIP_SLOWLOG.0,
                "loading" => Flags::LOADING.0,
                "stale" => Flags::STALE.0,
                _ => 0,
            };
        }
        Flags(f)
    }
}

/// One served command (or subcommand).
pub struct Command {
    pub meta: CommandMeta,
    pub flags: Flags,
    pub handler: Option<Handler>,
    pub subcommands: HashMap<String, Command>,
    /// Index into the per-command statistics array.
    pub stat_index: usize,
}

impl Command {
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    fn arity_ok(&self, argc: usize) -> bool {
        let a = self.meta.arity;
        (a > 0 && argc as i64 == a) || (a < 0 && argc as i64 >= -a)
    }
}

/// All served commands, by lower-case name.
pub struct CommandTable {
    commands: HashMap<String, Command>,
    docs: HashMap<String, Reply>,
    /// Full names (`config|get`) by stat index.
    pub stat_names: Vec<String>,
}

impl CommandTable {
    /// Joins Redis's metadata with the handlers; commands without a handler are left out, and a
    /// container command is kept when at least one of its subcommands has a handler.
    pub fn build(handlers: &[(&'static str, Handler)]) -> CommandTable {
        let by_name: HashMap<&str, Handler> = handlers.iter().map(|(n, h)| (*n, *h)).collect();
        let mut stat_names = Vec::new();
        let mut commands = HashMap::new();
        for meta in reference::all_commands() {
            let mut subs = HashMap::new();
            for sub in &meta.subcommands {
                if let Some(h) = by_name.get(sub.name.as_str()) {
                    let short = sub.name.split('|').nth(1).unwrap_or(&sub.name).to_string();
                    stat_names.push(sub.name.clone());
                    subs.insert(
                        short,
                        Command {
                            flags: Flags::from_names(&sub.flags),
                            meta: sub.clone(),
                            handler: Some(*h),
                            subcommands: HashMap::new(),
                            stat_index: stat_names.len() - 1,
                        },
                    );
                }
            }
            let handler = by_name.get(meta.name.as_str()).copied();
            if handler.is_none() && subs.is_empty() {
                continue;
            }
            stat_names.push(meta.name.clone());
            let cmd = Command {
                flags: Flags::from_names(&meta.flags),
                handler,
                subcommands: subs,
                stat_index: stat_names.len() - 1,
                meta,
            };
            commands.insert(cmd.meta.name.clone(), cmd);
        }
        let docs = reference::all_docs()
            .into_iter()
            .filter(|(n, _)| commands.contains_key(n))
            .collect();
        CommandTable {
            commands,
            docs,
            stat_names,
        }
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.commands.values()
    }

    pub fn get(&self, name: &str) -> Option<&Command> {
        self.commands.get(name)
    }

    /// Looks a command up by its name (and its subcommand for containers), without arity checks.
    pub fn find(&self, args: &[Bytes]) -> Option<&Command> {
        let mut buf = [0u8; 32];
        let cmd = self.commands.get(lower_in(args.first()?, &mut buf)?)?;
        if cmd.subcommands.is_empty() || args.len() < 2 {
            return Some(cmd);
        }
        cmd.subcommands.get(lower_in(&args[1], &mut buf)?)
    }

    /// Looks up the command to run for `args`, with Redis's errors for unknown commands, unknown
    /// subcommands and wrong arity.
    pub fn lookup(&self, args: &[Bytes]) -> Result<&Command, Reply> {
        let mut buf = [0u8; 32];
        let Some(cmd) = lower_in(&args[0], &mut buf).and_then(|n| self.commands.get(n)) else {
            return Err(unknown_command(args));
        };
        let name = &cmd.meta.name;
        let cmd = if !cmd.subcommands.is_empty() && args.len() >= 2 {
            match lower_in(&args[1], &mut buf).and_then(|n| cmd.subcommands.get(n)) {
                Some(sub) => sub,
                None => {
                    let sub = String::from_utf8_lossy(&args[1]);
                    return Err(Reply::Error(format!(
                        "ERR unknown subcommand '{}'. Try {} HELP.",
                        truncate(&sub, 128),
                        name.to_ascii_uppercase()
                    )));
                }
            }
        } else {
            cmd
        };
        if !cmd.arity_ok(args.len()) || cmd.handler.is_none() {
            return Err(Reply::Error(format!(
                "ERR wrong number of arguments for '{}' command",
                cmd.meta.name
            )));
        }
        Ok(cmd)
    }

    pub fn docs(&self, name: &str) -> Option<&Reply> {
        self.docs.get(name)
    }
}

/// Redis's text for an unknown command, quoting up to ~128 bytes of its arguments.
pub fn unknown_command(args: &[Bytes]) -> Reply {
    let mut quoted = String::new();
    for a in &args[1..] {
        if quoted.len() >= 128 {
            break;
        }
        let room = 128 - quoted.len();
        let s = String::from_utf8_lossy(c_str(a));
        quoted.push('\'');
        quoted.push_str(truncate(&s, room));
        quoted.push_str("' ");
    }
    let name = String::from_utf8_lossy(c_str(&args[0]));
    Reply::Error(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        truncate(&name, 128),
        quoted
    ))
}

/// The bytes up to the first NUL, as C's `%s` prints them.
fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&c| c == 0).map(|i| &b[..i]).unwrap_or(b)
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Lower-cases a command name into `buf` without allocating; `None` if it cannot be a command name.
fn lower_in<'b>(name: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b str> {
    if name.len() > buf.len() {
        return None;
    }
    let out = &mut buf[..name.len()];
    for (o, c) in out.iter_mut().zip(name) {
        *o = c.to_ascii_lowercase();
    }
    std::str::from_utf8(out).ok()
}

pub fn lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}
