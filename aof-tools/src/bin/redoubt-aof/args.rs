//! A small command-line parser: positional arguments and `--name [value]` options, each subcommand
//! declaring which options take a value and which are flags.

use std::collections::HashMap;

/// Parsed arguments of one subcommand.
#[derive(Debug, Default)]
pub struct Args {
    pub positional: Vec<String>,
    values: HashMap<&'static str, String>,
    flags: Vec<&'static str>,
}

/// What a subcommand accepts.
pub struct Spec {
    /// Options followed by a value (`--key GLOB`).
    pub valued: &'static [&'static str],
    /// Options without a value (`--yes`).
    pub flags: &'static [&'static str],
}

impl Args {
    /// Parses `argv` (after the subcommand name). `--name=value` is accepted too; `--` ends options.
    pub fn parse(argv: &[String], spec: &Spec) -> Result<Args, String> {
        let mut out = Args::default();
        let mut it = argv.iter();
        let mut only_positional = false;
        while let Some(a) = it.next() {
            if only_positional || !a.starts_with("--") || a == "-" {
                out.positional.push(a.clone());
                continue;
            }
            if a == "--" {
                only_positional = true;
                continue;
            }
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (&n[2..], Some(v.to_string())),
                None => (&a[2..], None),
            };
            if let Some(&v) = spec.valued.iter().find(|&&v| v == name) {
                let value = match inline {
                    Some(x) => x,
                    None => it
                        .next()
                        .cloned()
                        .ok_or_else(|| format!("--{name} needs a value"))?,
                };
                out.values.insert(v, value);
            } else if let Some(&f) = spec.flags.iter().find(|&&f| f == name) {
                if inline.is_some() {
                    return Err(format!("--{name} takes no value"));
                }
                out.flags.push(f);
            } else {
                return Err(format!("unknown option --{name}"));
            }
        }
        Ok(out)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }

    /// A valued option parsed as a number.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        match self.value(name) {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|_| format!("--{name}: not a number: {v}")),
        }
    }
}
