//! Where an AOF lives: a Redis 7 `appendonlydir/` with its manifest, or a single legacy file.
//!
//! [`open`] takes what a user points at — the directory, its manifest file, or one AOF file — and
//! gives an [`AofSource`] whose [`AofSource::parts`] are the files to load in Redis's order: the base
//! first, then the INCR files by seq (history files are never loaded). A file whose first five bytes
//! are `REDIS` starts with an RDB: a base `*.base.rdb`, or a legacy file written with
//! `aof-use-rdb-preamble`; Redis loads the RDB and then goes on reading commands after it, so do we
//! ([`PartReader`]).
//!
//! A manifest is recognised by its name ending in `.manifest` (Redis's `redis-check-aof` instead
//! sniffs for a line starting with `file`, which a command file can contain too). In a directory we
//! use `<appendfilename>.manifest`, preferring `appendonly.aof.manifest`, else the only
//! `*.manifest` that is not a `temp-` file.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::command::CommandReader;
use crate::manifest::{self, AofKind, Manifest, ManifestError};

/// The role of a loaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartRole {
    /// The manifest's base file.
    Base,
    /// One of the manifest's INCR files.
    Incr,
    /// A legacy single `appendonly.aof`.
    Single,
}

/// One file to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofPart {
    pub path: PathBuf,
    /// The name the manifest uses (the file name for a single file).
    pub name: String,
    pub role: PartRole,
    /// The manifest seq (0 for a single file).
    pub seq: u64,
}

/// Why a source could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: no AOF manifest (*.manifest) in this directory")]
    NoManifest { path: String },
    #[error("{path}: several manifests ({names}); point at one of them")]
    ManyManifests { path: String, names: String },
    #[error("{path}: {source}")]
    Manifest {
        path: String,
        #[source]
        source: ManifestError,
    },
}

/// An AOF as found on disk.
#[derive(Debug, Clone)]
pub enum AofSource {
    /// A multi-part AOF directory.
    Dir {
        dir: PathBuf,
        manifest_name: String,
        manifest: Manifest,
    },
    /// One legacy file (commands, possibly after an RDB preamble).
    Single { path: PathBuf },
}

/// Opens a directory, a manifest file, or a single AOF file.
pub fn open(path: &Path) -> Result<AofSource, LayoutError> {
    let io_err = |e: io::Error| LayoutError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let meta = fs::metadata(path).map_err(io_err)?;
    if meta.is_dir() {
        let name = find_manifest(path)?;
        return open_manifest(path, &name);
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if file_name.ends_with(".manifest") {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        return open_manifest(&dir, &file_name);
    }
    Ok(AofSource::Single {
        path: path.to_path_buf(),
    })
}

fn open_manifest(dir: &Path, name: &str) -> Result<AofSource, LayoutError> {
    let manifest = manifest::read_manifest(dir, name).map_err(|source| LayoutError::Manifest {
        path: dir.join(name).display().to_string(),
        source,
    })?;
    Ok(AofSource::Dir {
        dir: dir.to_path_buf(),
        manifest_name: name.to_string(),
        manifest,
    })
}

fn find_manifest(dir: &Path) -> Result<String, LayoutError> {
    let default = manifest::manifest_name(manifest::DEFAULT_PREFIX);
    if dir.join(&default).is_file() {
        return Ok(default);
    }
    let mut found = Vec::new();
    let rd = fs::read_dir(dir).map_err(|e| LayoutError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    for entry in rd.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n.ends_with(".manifest") && !n.starts_with("temp-") {
            found.push(n);
        }
    }
    found.sort();
    match found.len() {
        0 => Err(LayoutError::NoManifest {
            path: dir.display().to_string(),
        }),
        1 => Ok(found.remove(0)),
        _ => Err(LayoutError::ManyManifests {
            path: dir.display().to_string(),
            names: found.join(", "),
        }),
    }
}

impl AofSource {
    /// The files to load, in order.
    pub fn parts(&self) -> Vec<AofPart> {
        match self {
            AofSource::Single { path } => vec![AofPart {
                path: path.clone(),
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.display().to_string()),
                role: PartRole::Single,
                seq: 0,
            }],
            AofSource::Dir { dir, manifest, .. } => manifest
                .load_order()
                .into_iter()
                .map(|f| AofPart {
                    path: dir.join(&f.name),
                    name: f.name.clone(),
                    role: if f.kind == AofKind::Base {
                        PartRole::Base
                    } else {
                        PartRole::Incr
                    },
                    seq: f.seq,
                })
                .collect(),
        }
    }

    /// The manifest of a directory source.
    pub fn manifest(&self) -> Option<&Manifest> {
        match self {
            AofSource::Dir { manifest, .. } => Some(manifest),
            AofSource::Single { .. } => None,
        }
    }

    /// The directory of a multi-part source.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            AofSource::Dir { dir, .. } => Some(dir),
            AofSource::Single { .. } => None,
        }
    }

    /// The `appendfilename` prefix (`appendonly.aof`) of a directory source.
    pub fn prefix(&self) -> Option<&str> {
        match self {
            AofSource::Dir { manifest_name, .. } => manifest_name.strip_suffix(".manifest"),
            AofSource::Single { .. } => None,
        }
    }

    /// Parts the manifest names that are not regular files on disk (Redis refuses to load then).
    pub fn missing_parts(&self) -> Vec<AofPart> {
        self.parts()
            .into_iter()
            .filter(|p| !p.path.is_file())
            .collect()
    }
}

/// True when `bytes` start like an RDB (`REDIS`), as Redis tests before loading a file.
pub fn starts_with_rdb(bytes: &[u8]) -> bool {
    bytes.starts_with(b"REDIS")
}

/// True when the file starts with an RDB preamble.
pub fn is_rdb_preamble(path: &Path) -> io::Result<bool> {
    let mut f = File::open(path)?;
    let mut sig = [0u8; 5];
    let mut got = 0;
    while got < sig.len() {
        match f.read(&mut sig[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got == sig.len() && starts_with_rdb(&sig))
}

/// What an RDB preamble holds, counted without keeping values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RdbPreamble {
    pub version: u32,
    /// Keys per database.
    pub keys_by_db: BTreeMap<u64, u64>,
    pub functions: u64,
    /// Where the RDB part ends (the command tail, if any, starts here).
    pub end_offset: u64,
}

impl RdbPreamble {
    pub fn keys(&self) -> u64 {
        self.keys_by_db.values().sum()
    }
}

/// Validates the RDB at the start of `path` with `redoubt-rdb` (every value decoded and checked, the
/// CRC64 verified) and counts its keys.
pub fn scan_rdb_preamble(path: &Path) -> Result<RdbPreamble, redoubt_rdb::Error> {
    let f = File::open(path).map_err(|e| redoubt_rdb::Error::Io {
        offset: 0,
        source: e,
    })?;
    let mut rd = redoubt_rdb::reader::Reader::new(BufReader::new(f))?;
    rd.set_validate_only(true);
    let mut out = RdbPreamble {
        version: rd.version(),
        ..Default::default()
    };
    use redoubt_rdb::reader::Event;
    // Bounded by the input: every event consumes bytes.
    loop {
        match rd.next_event()? {
            Some(Event::Key(h)) => *out.keys_by_db.entry(h.db).or_insert(0) += 1,
            Some(Event::Function { .. }) => out.functions += 1,
            Some(Event::Eof(t)) => {
                out.end_offset = t.end_offset;
                return Ok(out);
            }
            Some(_) => {}
            None => {
                return Err(redoubt_rdb::Error::Truncated {
                    offset: rd.offset(),
                    expected: "the RDB EOF opcode".into(),
                })
            }
        }
    }
}

/// Opens the command part of a file: from `start` (0, or the end of its RDB preamble).
pub fn open_commands(path: &Path, start: u64) -> io::Result<CommandReader<BufReader<File>>> {
    let mut f = File::open(path)?;
    if start > 0 {
        f.seek(SeekFrom::Start(start))?;
    }
    Ok(CommandReader::with_offset(
        BufReader::with_capacity(256 * 1024, f),
        start,
    ))
}

/// Why a part could not be opened for reading.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("RDB preamble: {0}")]
    Rdb(#[from] redoubt_rdb::Error),
}

/// A part opened for reading: its RDB preamble (validated) if it has one, then its commands.
pub struct PartReader {
    pub part: AofPart,
    pub size: u64,
    pub preamble: Option<RdbPreamble>,
    pub commands: CommandReader<BufReader<File>>,
}

impl PartReader {
    /// Opens `part`, validating an RDB preamble first when the file starts with one.
    pub fn open(part: &AofPart) -> Result<PartReader, PartError> {
        let size = fs::metadata(&part.path)?.len();
        let preamble = if is_rdb_preamble(&part.path)? {
            Some(scan_rdb_preamble(&part.path)?)
        } else {
            None
        };
        let start = preamble.as_ref().map_or(0, |p| p.end_offset);
        Ok(PartReader {
            part: part.clone(),
            size,
            preamble,
            commands: open_commands(&part.path, start)?,
        })
    }
}
