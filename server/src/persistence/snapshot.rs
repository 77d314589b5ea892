//! Fork-less point-in-time snapshots by copy-on-write per key.
//!
//! Starting a snapshot bumps an epoch and gives every db a [`Cow`]. A walker task then copies the
//! keyspace in steps, each under the lock for at most a quarter of a millisecond, marking every
//! entry it copies with the epoch and handing the copies (pieces) to the thread that serialises
//! them. For an RDB image the walker also encodes string values as the RDB writer would (LZF
//! included): the serialiser runs in `SCHED_IDLE`, which on a machine saturated by clients gets
//! a few percent of a core, so it is left little more than writing the bytes out, and the walk's
//! share of the command thread sets the save's pace.
//! Between steps clients run; while they keep the server busy, a step lasts [`WALKER_SHARE`] of
//! the time they had since the previous one, so a snapshot costs them a bounded share of the
//! command thread. A write to a key the walker has not reached yet first copies the
//! key's current value into its db's `Cow` ([`crate::keyspace::Db::capture`]): that is the value
//! it had when the snapshot started. Keys created after the start carry the epoch already, so the
//! walker leaves them out. The dump is therefore exactly the dataset at the start, no command
//! waits for more than one step, and the extra memory is what was written during the snapshot plus
//! the few pieces in flight.
//!
//! One snapshot runs at a time (an entry has one epoch); a second request while one runs falls back
//! to copying the whole dataset at once ([`Image::capture`]).

use super::save::{AccessMeta, DbImage, Image, StringPreEncoder};
use crate::keyspace::slots::SlotWalkPos;
use crate::server::{Shared, State};
use crate::types::Value;
use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Keys copied between two checks of the step's time budget (at 0.2-0.3 us a key, a step ends
/// within about 10 us of its budget).
const CHUNK_KEYS: usize = 32;
/// The share of the command thread's time the walker takes while clients keep it busy: a step
/// lasts this fraction of the time that passed since the previous one (clients ran meanwhile).
/// Since the walker encodes string values itself, the walk sets the save's pace. Under
/// back-to-back BGSAVE with 1M keys (benches/README, session 7; medians of 3 rounds), 0.25
/// measured a dip of 10 %, p99 1.33x idle and saves 1.07x as long as Redis's; 0.28 a dip of 14 %,
/// p99 1.35x and saves 0.8x Redis's.
const WALKER_SHARE: f64 = 0.28;
/// Bounds of a step's duration: a step always makes progress, and never delays a command by more
/// than a quarter of a millisecond. Under back-to-back BGSAVE, a 0.5 ms cap measured a 15-19 %
/// dip and a p99 of 2.3-2.4x idle; 0.25 ms measured 4-14 % and 2.0-2.1x, with saves 1.2x longer.
/// The floor matters when clients are few: a lone client pinging back to back waits for a whole
/// step each time (median round trip during BGSAVE 124 us with a 100 us floor, 77 us with 50 us,
/// redis-server 38 us). Under the heavy load, 50 us and budget checks every 32 keys (instead of
/// 100 us and 128) measured a dip of 3.5-6.8 % and a p99 of 1.5-1.6x idle, with saves 1.2x longer.
const STEP_MIN: Duration = Duration::from_micros(50);
const STEP_MAX: Duration = Duration::from_micros(250);
/// Pieces waiting for the serialiser before the walker pauses (a piece is one step's keys, 100-200
/// KiB of 64-byte strings). The serialiser runs in bursts of idle CPU; with 8 the walker waited
/// for it 50-130 times per 1M-key save under load, with 32 at most a few times.
const PIECES_IN_FLIGHT: usize = 32;

/// A db's copy-on-write state while a snapshot runs.
pub struct Cow {
    pub epoch: u32,
    /// Every key the db had at the start is in the snapshot (walked, or captured).
    pub done: bool,
    captured: DbImage,
    meta: AccessMeta,
    now_ms: i64,
}

impl Cow {
    /// Keeps a key's value as it was at the snapshot's start.
    pub fn capture(&mut self, key: &[u8], value: &Value, access: u32, expire: Option<i64>) {
        let meta = self.meta.key_meta(access, expire, self.now_ms);
        self.captured.push_key(key, value, &meta, None);
    }
}

/// The walker's position (part of the persistence bookkeeping).
pub struct Walker {
    epoch: u32,
    db: usize,
    pos: SlotWalkPos,
    tx: SyncSender<DbImage>,
    pending: VecDeque<DbImage>,
    /// Captured values of every db were collected after the walk (a SWAPDB may have moved a db
    /// the walker had passed).
    swept: bool,
    /// The end marker is queued.
    ended: bool,
    meta: AccessMeta,
    now_ms: i64,
    /// Encodes string values as the RDB writer would, for an image written as RDB.
    pre: Option<StringPreEncoder>,
}

/// What a snapshot's image will be written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// An RDB file or stream: the walker encodes string values (LZF included) itself.
    Rdb,
    /// Commands (an AOF base without the RDB preamble): values stay as they are.
    Commands,
}

/// Starts a snapshot and returns its image, whose pieces arrive while the walker runs; `None` when
/// a snapshot already runs (or no task can be started), and the caller copies instead.
pub fn start(st: &mut State, now_ms: i64, format: ImageFormat) -> Option<Image> {
    if st.persistence.walker.is_some() {
        return None;
    }
    let shared = st.shared.upgrade()?;
    tokio::runtime::Handle::try_current().ok()?;
    st.persistence.epoch = st.persistence.epoch.wrapping_add(1).max(1);
    let epoch = st.persistence.epoch;
    let meta = AccessMeta::for_state(st);
    let mut total = 0;
    for (i, db) in st.dbs.iter_mut().enumerate() {
        total += db.len();
        db.epoch = epoch;
        db.cow = Some(Box::new(Cow {
            epoch,
            done: db.is_empty(),
            captured: DbImage::new(i),
            meta,
            now_ms,
        }));
    }
    let (tx, rx) = sync_channel(PIECES_IN_FLIGHT);
    st.persistence.walker = Some(Walker {
        epoch,
        db: 0,
        pos: SlotWalkPos::default(),
        tx,
        pending: VecDeque::new(),
        swept: false,
        ended: false,
        meta,
        now_ms,
        pre: (format == ImageFormat::Rdb).then(|| {
            StringPreEncoder::new(super::save::SaveTarget::from_state(st).writer.compress)
        }),
    });
    tokio::spawn(walk(shared, epoch));
    Some(Image::streamed(st, rx, total, epoch))
}

/// A snapshot's image: copy-on-write when possible, else copied at once.
pub fn image(st: &mut State, now_ms: i64, format: ImageFormat) -> Image {
    match start(st, now_ms, format) {
        Some(image) => image,
        None => Image::capture(st, now_ms),
    }
}

/// Stops the running snapshot of `epoch` (its image then ends incomplete, as a cancelled save).
pub fn abort(st: &mut State, epoch: Option<u32>) {
    if epoch.is_some() && st.persistence.walker.as_ref().map(|w| w.epoch) == epoch {
        finish(st);
    }
}

/// Drops the walker (and with it the image's sender) and the dbs' copy-on-write state.
fn finish(st: &mut State) {
    st.persistence.walker = None;
    for db in st.dbs.iter_mut() {
        db.cow = None;
    }
}

enum Progress {
    More,
    /// The serialiser is behind: wait a little.
    Blocked,
    Done,
}

/// How long the next step may run, given the time clients had since the previous one.
fn step_budget(since_last: Duration) -> Duration {
    since_last
        .mul_f64(WALKER_SHARE / (1.0 - WALKER_SHARE))
        .clamp(STEP_MIN, STEP_MAX)
}

async fn walk(shared: Arc<Shared>, epoch: u32) {
    let begun = Instant::now();
    let (mut steps, mut stepping, mut blocked) = (0u64, Duration::ZERO, 0u64);
    let mut last_step = Instant::now();
    loop {
        let budget = step_budget(last_step.elapsed());
        let progress = {
            let mut st = shared.state.lock();
            let started = Instant::now();
            let progress = step(&mut st, epoch, started + budget);
            last_step = Instant::now();
            stepping += last_step - started;
            progress
        };
        steps += 1;
        match progress {
            Progress::More => tokio::task::yield_now().await,
            Progress::Blocked => {
                blocked += 1;
                tokio::time::sleep(std::time::Duration::from_millis(1)).await
            }
            Progress::Done => break,
        }
    }
    tracing::info!(
        "Snapshot walk done in {:.3} s: {steps} steps took {:.3} s of the command thread; \
         waited {blocked} times for the serialiser",
        begun.elapsed().as_secs_f64(),
        stepping.as_secs_f64()
    );
}

/// One step of the walker under the lock, copying keys until `deadline`.
fn step(st: &mut State, epoch: u32, deadline: Instant) -> Progress {
    let State {
        persistence, dbs, ..
    } = st;
    let Some(w) = persistence.walker.as_mut().filter(|w| w.epoch == epoch) else {
        return Progress::Done;
    };
    while let Some(piece) = w.pending.pop_front() {
        match w.tx.try_send(piece) {
            Ok(()) => {}
            Err(TrySendError::Full(piece)) => {
                w.pending.push_front(piece);
                return Progress::Blocked;
            }
            Err(TrySendError::Disconnected(_)) => {
                finish(st);
                return Progress::Done;
            }
        }
    }
    if w.db >= dbs.len() {
        if !w.swept {
            w.swept = true;
            for db in dbs.iter_mut() {
                if let Some(cow) = db.cow.as_mut() {
                    let index = cow.captured.index();
                    let captured = std::mem::replace(&mut cow.captured, DbImage::new(index));
                    if captured.key_count() > 0 {
                        w.pending.push_back(captured);
                    }
                }
            }
            return Progress::More;
        }
        if !w.ended {
            w.ended = true;
            w.pending.push_back(DbImage::end());
            return Progress::More;
        }
        // Everything, the end marker included, is sent.
        finish(st);
        return Progress::Done;
    }
    let db = &mut dbs[w.db];
    let Some(cow) = db.cow.as_mut() else {
        w.db += 1;
        w.pos = SlotWalkPos::default();
        return Progress::More;
    };
    if !cow.done {
        let mut piece = DbImage::new(w.db);
        let expires = &db.expires;
        let (meta, now_ms) = (w.meta, w.now_ms);
        let mut pre = w.pre.as_mut();
        loop {
            let prefetch = |e: &crate::keyspace::Entry| {
                if let Value::Str(s) = &e.value {
                    s.prefetch();
                }
            };
            let next = db
                .keys
                .walk_some_mut(w.pos, CHUNK_KEYS, prefetch, |key, e| {
                    if e.epoch != epoch {
                        e.epoch = epoch;
                        let expire = if expires.is_empty() {
                            None
                        } else {
                            expires.get(key).copied()
                        };
                        piece.push_key(
                            key,
                            &e.value,
                            &meta.key_meta(e.access, expire, now_ms),
                            pre.as_deref_mut(),
                        );
                    }
                });
            let Some(next) = next else {
                cow.done = true;
                break;
            };
            w.pos = next;
            if Instant::now() >= deadline {
                break;
            }
        }
        if piece.key_count() > 0 {
            w.pending.push_back(piece);
        }
    }
    if cow.done {
        let index = cow.captured.index();
        let captured = std::mem::replace(&mut cow.captured, DbImage::new(index));
        if captured.key_count() > 0 {
            w.pending.push_back(captured);
        }
        w.db += 1;
        w.pos = SlotWalkPos::default();
    }
    Progress::More
}
