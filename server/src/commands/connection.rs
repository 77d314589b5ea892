//! Connection commands: PING, ECHO, QUIT, RESET, SELECT, HELLO, AUTH, CLIENT *, COMMAND *.

use super::{int_arg, is, syntax_error, text};
use crate::client::{Outbound, ReplyMode};
use crate::command::keys::keys_with_specs;
use crate::command::Handler;
use crate::protocol::Reply;
use crate::server::{unwatch_all, Ctx, Pause};
use bytes::Bytes;

pub const HANDLERS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("quit", quit),
    ("reset", reset),
    ("select", select),
    ("hello", hello),
    ("auth", auth),
    ("client|id", client_id),
    ("client|setname", client_setname),
    ("client|getname", client_getname),
    ("client|list", client_list),
    ("client|info", client_info),
    ("client|kill", client_kill),
    ("client|pause", client_pause),
    ("client|unpause", client_unpause),
    ("client|no-evict", client_no_evict),
    ("client|reply", client_reply),
    ("client|unblock", client_unblock),
    ("client|help", client_help),
    ("command", command),
    ("command|count", command_count),
    ("command|info", command_info),
    ("command|docs", command_docs),
    ("command|getkeys", command_getkeys),
    ("command|getkeysandflags", command_getkeysandflags),
    ("command|list", command_list),
    ("command|help", command_help),
];

fn ping(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 2 {
        return Reply::err("ERR wrong number of arguments for 'ping' command");
    }
    if ctx.client.in_pubsub_context() {
        let payload = args.get(1).cloned().unwrap_or_default();
        return Reply::Array(vec![Reply::bulk("pong"), Reply::Bulk(payload)]);
    }
    match args.get(1) {
        Some(m) => Reply::Bulk(m.clone()),
        None => Reply::Simple("PONG"),
    }
}

fn echo(_ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    Reply::Bulk(args[1].clone())
}

fn quit(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.client.closing = true;
    Reply::ok()
}

fn reset(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let id = ctx.client.id;
    ctx.client.multi = None;
    ctx.client.multi_error = false;
    unwatch_all(ctx.st, ctx.client);
    for ch in std::mem::take(&mut ctx.client.channels) {
        ctx.st.pubsub.unsubscribe(&ch, id);
    }
    for p in std::mem::take(&mut ctx.client.patterns) {
        ctx.st.pubsub.punsubscribe(&p, id);
    }
    ctx.st.monitors.retain(|&m| m != id);
    ctx.client.db = 0;
    ctx.client.resp = 2;
    ctx.client.reply_mode = ReplyMode::On;
    ctx.client.no_evict = false;
    if ctx.st.config.tunables.requirepass.is_some() {
        ctx.client.authenticated = false;
    }
    if let Some(c) = ctx.st.clients.get_mut(&id) {
        c.db = 0;
        c.resp = 2;
        c.name = None;
        c.multi_len = -1;
        c.subscriptions = 0;
        c.psubscriptions = 0;
        c.monitor = false;
        c.no_evict = false;
        c.flags = "N".into();
    }
    Reply::Simple("RESET")
}

fn select(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let Some(db) = crate::protocol::request::parse_int(&args[1]) else {
        return Reply::err("ERR value is not an integer or out of range");
    };
    if db < 0 || db as usize >= ctx.st.dbs.len() {
        return Reply::err("ERR DB index is out of range");
    }
    ctx.client.db = db as usize;
    if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
        c.db = db as usize;
    }
    Reply::ok()
}

fn check_password(ctx: &mut Ctx, user: Option<&[u8]>, pass: &[u8]) -> Result<(), Reply> {
    let ok = match &ctx.st.config.tunables.requirepass {
        Some(p) => p.as_slice() == pass,
        None => true,
    };
    let user_ok = user.is_none_or(|u| u == b"default");
    if ok && user_ok {
        ctx.client.authenticated = true;
        Ok(())
    } else {
        Err(Reply::err(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn auth(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 3 {
        return syntax_error();
    }
    if args.len() == 2 && ctx.st.config.tunables.requirepass.is_none() {
        return Reply::err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    }
    let (user, pass) = if args.len() == 3 {
        (Some(&args[1][..]), &args[2][..])
    } else {
        (None, &args[1][..])
    };
    match check_password(ctx, user, pass) {
        Ok(()) => Reply::ok(),
        Err(e) => e,
    }
}

/// The map HELLO answers with.
pub fn hello_reply(ctx: &Ctx) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (
            Reply::bulk("version"),
            Reply::bulk(crate::commands::server::REDIS_VERSION),
        ),
        (Reply::bulk("proto"), Reply::Int(ctx.client.resp as i64)),
        (Reply::bulk("id"), Reply::Int(ctx.client.id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ])
}

fn hello(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut ver = None;
    let mut i = 1;
    if args.len() >= 2 {
        match crate::protocol::request::parse_int(&args[1]) {
            Some(v) => {
                if !(2..=3).contains(&v) {
                    return Reply::err("NOPROTO unsupported protocol version");
                }
                ver = Some(v as u8);
            }
            None => return Reply::err("ERR Protocol version is not an integer or out of range"),
        }
        i = 2;
    }
    let mut auth: Option<(Bytes, Bytes)> = None;
    let mut name: Option<Bytes> = None;
    while i < args.len() {
        let more = args.len() - i - 1;
        if is(&args[i], "AUTH") && more >= 2 {
            auth = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 3;
        } else if is(&args[i], "SETNAME") && more >= 1 {
            name = Some(args[i + 1].clone());
            i += 2;
        } else {
            return Reply::err(format!(
                "ERR Syntax error in HELLO option '{}'",
                text(&args[i])
            ));
        }
    }
    if let Some((u, p)) = auth {
        if let Err(e) = check_password(ctx, Some(&u), &p) {
            return e;
        }
    }
    if !ctx.client.authenticated && ctx.st.config.tunables.requirepass.is_some() {
        return Reply::err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if let Some(n) = name {
        if let Err(e) = set_name(ctx, &n) {
            return e;
        }
    }
    if let Some(v) = ver {
        ctx.client.resp = v;
        if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
            c.resp = v;
        }
    }
    hello_reply(ctx)
}

fn set_name(ctx: &mut Ctx, name: &Bytes) -> Result<(), Reply> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return Err(Reply::err(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
        c.name = if name.is_empty() {
            None
        } else {
            Some(name.clone())
        };
    }
    Ok(())
}

fn client_id(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.client.id as i64)
}

fn client_setname(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    match set_name(ctx, &args[2]) {
        Ok(()) => Reply::ok(),
        Err(e) => e,
    }
}

fn client_getname(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    match ctx
        .st
        .clients
        .get(&ctx.client.id)
        .and_then(|c| c.name.clone())
    {
        Some(n) => Reply::Bulk(n),
        None => Reply::Null,
    }
}

/// One CLIENT LIST line, in Redis 7.0's field order.
fn client_line(ctx: &Ctx, id: u64) -> String {
    let Some(c) = ctx.st.clients.get(&id) else {
        return String::new();
    };
    let now = ctx.now_ms;
    let mut flags = String::new();
    if c.monitor {
        flags.push('O');
    }
    if c.subscriptions + c.psubscriptions > 0 {
        flags.push('P');
    }
    if c.multi_len >= 0 {
        flags.push('x');
    }
    if c.blocked {
        flags.push('b');
    }
    if c.dirty_cas {
        flags.push('d');
    }
    if c.no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = c
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let cmd = if id == ctx.client.id {
        "client|list".to_string()
    } else {
        c.last_cmd
            .and_then(|i| ctx.shared.table.stat_names.get(i).cloned())
            .unwrap_or_else(|| "NULL".into())
    };
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={}",
        id,
        c.addr,
        c.laddr,
        id + 7,
        name,
        (now - c.created_ms) / 1000,
        (now - c.last_interaction_ms) / 1000,
        flags,
        c.db,
        c.subscriptions,
        c.psubscriptions,
        c.multi_len,
        cmd,
        c.resp
    )
}

fn client_list(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut ids: Vec<u64> = ctx.st.clients.keys().copied().collect();
    ids.sort();
    let mut i = 2;
    while i < args.len() {
        if is(&args[i], "TYPE") && i + 1 < args.len() {
            let t = text(&args[i + 1]).to_ascii_lowercase();
            match t.as_str() {
                "normal" => ids.retain(|id| {
                    ctx.st
                        .clients
                        .get(id)
                        .is_some_and(|c| c.subscriptions + c.psubscriptions == 0)
                }),
                "pubsub" => ids.retain(|id| {
                    ctx.st
                        .clients
                        .get(id)
                        .is_some_and(|c| c.subscriptions + c.psubscriptions > 0)
                }),
                "master" | "replica" | "slave" => ids.clear(),
                _ => {
                    return Reply::err(format!("ERR Unknown client type '{}'", text(&args[i + 1])))
                }
            }
            i += 2;
        } else if is(&args[i], "ID") && i + 1 < args.len() {
            let mut wanted = Vec::new();
            for a in &args[i + 1..] {
                match crate::protocol::request::parse_int(a) {
                    Some(n) if n > 0 => wanted.push(n as u64),
                    _ => return Reply::err("ERR Invalid client ID"),
                }
            }
            ids.retain(|id| wanted.contains(id));
            i = args.len();
        } else {
            return syntax_error();
        }
    }
    let mut out = String::new();
    for id in ids {
        out.push_str(&client_line(ctx, id));
        out.push('\n');
    }
    Reply::Verbatim(out)
}

fn client_info(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    let mut line = client_line(ctx, ctx.client.id).replace("cmd=client|list", "cmd=client|info");
    line.push('\n');
    Reply::Verbatim(line)
}

fn client_kill(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let me = ctx.client.id;
    if args.len() == 3 {
        // Old form: CLIENT KILL addr:port
        let addr = text(&args[2]);
        let found = ctx
            .st
            .clients
            .iter()
            .find(|(_, c)| c.addr.to_string() == addr)
            .map(|(id, _)| *id);
        return match found {
            Some(id) => {
                kill(ctx, id);
                Reply::ok()
            }
            None => Reply::err("ERR No such client"),
        };
    }
    let mut id_f = None;
    let mut addr_f = None;
    let mut laddr_f = None;
    let mut type_f: Option<String> = None;
    let mut skipme = true;
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            return syntax_error();
        }
        let v = &args[i + 1];
        if is(&args[i], "ID") {
            match crate::protocol::request::parse_int(v) {
                Some(n) if n > 0 => id_f = Some(n as u64),
                _ => return Reply::err("ERR client-id should be greater than 0"),
            }
        } else if is(&args[i], "ADDR") {
            addr_f = Some(text(v));
        } else if is(&args[i], "LADDR") {
            laddr_f = Some(text(v));
        } else if is(&args[i], "TYPE") {
            let t = text(v).to_ascii_lowercase();
            if !["normal", "pubsub", "master", "replica", "slave"].contains(&t.as_str()) {
                return Reply::err(format!("ERR Unknown client type '{}'", text(v)));
            }
            type_f = Some(t);
        } else if is(&args[i], "USER") {
            if !is(v, "default") {
                return Reply::err(format!("ERR No such user '{}'", text(v)));
            }
        } else if is(&args[i], "SKIPME") {
            if is(v, "yes") {
                skipme = true;
            } else if is(v, "no") {
                skipme = false;
            } else {
                return syntax_error();
            }
        } else {
            return syntax_error();
        }
        i += 2;
    }
    let victims: Vec<u64> = ctx
        .st
        .clients
        .iter()
        .filter(|(id, c)| {
            id_f.is_none_or(|x| x == **id)
                && addr_f.as_ref().is_none_or(|a| *a == c.addr.to_string())
                && laddr_f.as_ref().is_none_or(|a| *a == c.laddr.to_string())
                && type_f.as_ref().is_none_or(|t| match t.as_str() {
                    "pubsub" => c.subscriptions + c.psubscriptions > 0,
                    "normal" => {
                        c.subscriptions + c.psubscriptions == 0
                            && !ctx.st.repl.replicas.contains_key(id)
                    }
                    "replica" | "slave" => ctx.st.repl.replicas.contains_key(id),
                    _ => false,
                })
                && !(skipme && **id == me)
        })
        .map(|(id, _)| *id)
        .collect();
    for id in &victims {
        kill(ctx, *id);
    }
    // The link to our master is not a listed client; TYPE master drops it (it reconnects).
    let mut killed = victims.len() as i64;
    if type_f.as_deref() == Some("master")
        && id_f.is_none()
        && addr_f.is_none()
        && laddr_f.is_none()
        && crate::replication::replica::drop_link(ctx.st)
    {
        killed += 1;
    }
    Reply::Int(killed)
}

fn kill(ctx: &mut Ctx, id: u64) {
    if id == ctx.client.id {
        ctx.client.closing = true;
    } else if let Some(c) = ctx.st.clients.get(&id) {
        c.send(Outbound::Kill);
    }
}

fn client_pause(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let ms = match crate::protocol::request::parse_int(&args[2]) {
        Some(v) if v >= 0 => v,
        Some(_) => return Reply::err("ERR timeout is negative"),
        None => return Reply::err("ERR timeout is not an integer or out of range"),
    };
    let writes_only = match args.get(3) {
        None => false,
        Some(a) if is(a, "WRITE") => true,
        Some(a) if is(a, "ALL") => false,
        Some(_) => return Reply::err("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    if args.len() > 4 {
        return syntax_error();
    }
    let until_ms = ctx.now_ms + ms;
    let keep = ctx
        .st
        .pause
        .filter(|p| p.until_ms > until_ms && (!p.writes_only || writes_only));
    ctx.st.pause = Some(keep.unwrap_or(Pause {
        until_ms,
        writes_only,
    }));
    Reply::ok()
}

fn client_unpause(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    ctx.st.pause = None;
    Reply::ok()
}

fn client_no_evict(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let on = if is(&args[2], "ON") {
        true
    } else if is(&args[2], "OFF") {
        false
    } else {
        return syntax_error();
    };
    ctx.client.no_evict = on;
    if let Some(c) = ctx.st.clients.get_mut(&ctx.client.id) {
        c.no_evict = on;
    }
    Reply::ok()
}

fn client_reply(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if is(&args[2], "ON") {
        ctx.client.reply_mode = ReplyMode::On;
        Reply::ok()
    } else if is(&args[2], "OFF") {
        ctx.client.reply_mode = ReplyMode::Off;
        Reply::None
    } else if is(&args[2], "SKIP") {
        // The SKIP itself is not answered, nor the next command.
        ctx.client.reply_mode = ReplyMode::SkipNext;
        Reply::None
    } else {
        syntax_error()
    }
}

fn client_unblock(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let id = match int_arg(&args[2]) {
        Ok(v) => v as u64,
        Err(e) => return e,
    };
    let error = match args.get(3) {
        None => false,
        Some(a) if is(a, "TIMEOUT") => false,
        Some(a) if is(a, "ERROR") => true,
        Some(_) => return Reply::err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    let Some(bc) = ctx.st.blocking.unblock(id) else {
        return Reply::Int(0);
    };
    let reply = if error {
        Reply::err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        bc.spec.timeout_reply.clone()
    };
    if let Some(c) = ctx.st.clients.get_mut(&id) {
        c.blocked = false;
        c.send(Outbound::Unblocked(reply.to_bytes(bc.resp)));
    }
    Reply::Int(1)
}

fn client_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "CLIENT",
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    )
}

/// The `<CMD> <subcommand> arg arg ... arg. Subcommands are:` help layout Redis uses.
pub fn help_reply(cmd: &str, lines: &[&str]) -> Reply {
    let mut out = vec![Reply::Status(format!(
        "{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ))];
    out.extend(lines.iter().map(|l| Reply::Status(l.to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

fn command(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() > 1 {
        return Reply::err(format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            text(&args[1])
        ));
    }
    Reply::Array(
        ctx.shared
            .table
            .iter()
            .map(|c| c.meta.info.clone())
            .collect(),
    )
}

fn command_count(ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    Reply::Int(ctx.shared.table.len() as i64)
}

fn command_info(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    if args.len() == 2 {
        return Reply::Array(
            ctx.shared
                .table
                .iter()
                .map(|c| c.meta.info.clone())
                .collect(),
        );
    }
    Reply::Array(
        args[2..]
            .iter()
            .map(
                |n| match lookup_full_name(ctx, &text(n).to_ascii_lowercase()) {
                    Some(c) => c.meta.info.clone(),
                    None => Reply::Null,
                },
            )
            .collect(),
    )
}

/// A command by its full name: `get`, or `config|get` for a subcommand.
fn lookup_full_name<'t>(ctx: &Ctx<'t>, name: &str) -> Option<&'t crate::command::Command> {
    let table = &ctx.shared.table;
    match name.split_once('|') {
        Some((parent, sub)) => table.get(parent)?.subcommands.get(sub),
        None => table.get(name),
    }
}

fn command_docs(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let names: Vec<String> = if args.len() == 2 {
        ctx.shared
            .table
            .iter()
            .map(|c| c.meta.name.clone())
            .collect()
    } else {
        args[2..]
            .iter()
            .map(|n| text(n).to_ascii_lowercase())
            .collect()
    };
    let mut out = Vec::new();
    for n in names {
        if let Some(d) = ctx.shared.table.docs(&n) {
            out.push((Reply::bulk(&n), d.clone()));
        }
    }
    Reply::Map(out)
}

fn command_getkeys(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    getkeys_generic(ctx, args, false)
}

fn command_getkeysandflags(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    getkeys_generic(ctx, args, true)
}

fn getkeys_generic(ctx: &mut Ctx, args: &[Bytes], with_flags: bool) -> Reply {
    let target = &args[2..];
    let Some(cmd) = ctx.shared.table.find(target) else {
        return Reply::err("ERR Invalid command specified");
    };
    let a = cmd.meta.arity;
    let argc = target.len() as i64;
    if (a > 0 && argc != a) || (a < 0 && argc < -a) {
        return Reply::err("ERR Invalid number of arguments specified for command");
    }
    match keys_with_specs(&cmd.meta, target) {
        Some(pos) if !pos.is_empty() => Reply::Array(
            pos.into_iter()
                .map(|(p, spec)| {
                    let key = Reply::Bulk(target[p].clone());
                    if with_flags {
                        let flags =
                            key_flags(&cmd.meta.name, &cmd.meta.key_specs[spec].flags, target)
                                .into_iter()
                                .map(Reply::Status)
                                .collect();
                        Reply::Array(vec![key, Reply::Set(flags)])
                    } else {
                        key
                    }
                })
                .collect(),
        ),
        Some(_) => Reply::err("ERR The command has no key arguments"),
        None => Reply::err("ERR Invalid arguments specified for command"),
    }
}

/// A key's access flags; commands whose spec says `variable_flags` decide from their arguments
/// (in Redis 7.0 only SET: a plain SET overwrites, SET ... GET also reads).
fn key_flags(name: &str, spec_flags: &[String], args: &[Bytes]) -> Vec<String> {
    if name == "set" && spec_flags.iter().any(|f| f == "variable_flags") {
        let get = args.iter().skip(3).any(|a| is(a, "GET"));
        let flags: &[&str] = if get {
            &["RW", "access", "update"]
        } else {
            &["OW", "update"]
        };
        return flags.iter().map(|f| f.to_string()).collect();
    }
    spec_flags.to_vec()
}

fn command_list(ctx: &mut Ctx, args: &[Bytes]) -> Reply {
    let mut names: Vec<String> = Vec::new();
    for c in ctx.shared.table.iter() {
        names.push(c.meta.name.clone());
        for s in c.subcommands.values() {
            names.push(s.meta.name.clone());
        }
    }
    if args.len() == 5 && is(&args[2], "FILTERBY") {
        if is(&args[3], "PATTERN") {
            names.retain(|n| crate::glob::matches(&args[4], n.as_bytes(), true));
        } else if is(&args[3], "ACLCAT") {
            let cat = format!("@{}", text(&args[4]).to_ascii_lowercase());
            names.retain(|n| {
                ctx.shared.table.find(&n.split('|').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect::<Vec<_>>()).is_some_and(|c| {
                    matches!(&c.meta.info, Reply::Array(f) if matches!(f.get(6), Some(Reply::Set(cats)) if cats.iter().any(|x| matches!(x, Reply::Status(s) if *s == cat))))
                })
            });
        } else if is(&args[3], "MODULE") {
            names.clear();
        } else {
            return syntax_error();
        }
    } else if args.len() != 2 {
        return syntax_error();
    }
    Reply::Array(names.into_iter().map(Reply::bulk_str).collect())
}

fn command_help(_ctx: &mut Ctx, _args: &[Bytes]) -> Reply {
    help_reply(
        "COMMAND",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}
