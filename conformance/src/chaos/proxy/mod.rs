//! A fault-injecting TCP proxy of our own, placed in front of the emulator's FE and BE.
//!
//! The emulator can script faults inside its handlers, but a lost answer is a network event: the
//! server did the work and the client never heard. Only something between them can produce it
//! faithfully, so this proxy forwards bytes and, on a seeded schedule, per request:
//!
//! * drops the answer: the request is forwarded whole, the response is read from upstream, then
//!   the client's connection is closed without it;
//! * delays the answer;
//! * resets mid-body: part of the request body is forwarded, then both sides are closed.
//!
//! It frames HTTP/1.1 just enough to find request and response boundaries on kept-alive
//! connections (heads, `Content-Length`, chunked bodies) and lets interim `1xx` answers through,
//! so a fault hits a request, not a connection. It also rewrites the `Location` of redirects
//! from the emulator's BE address to the BE proxy's, and the BE ports of the BE lists clients
//! read (Doris `/api/backends`, StarRocks `/api/show_proc?path=/backends`): the emulator
//! advertises the address it binds, and a proxy on the same loopback address cannot take that
//! port itself.
//!
//! After a fault the next [`FaultPlan::gap`] requests (to any proxy of the same
//! [`FaultSchedule`]) pass untouched, so a client with a retry
//! or two always has a way through: a run that still gives up found a bug.

mod http;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// How often each fault strikes a request while a plan is set.
#[derive(Debug, Clone, Copy)]
pub struct FaultPlan {
    /// Chance that a request's answer is dropped after the server produced it.
    pub drop_answer: f64,
    /// Chance that an answer is delayed (up to `max_delay`).
    pub delay: f64,
    /// Chance that a request with a body is cut mid-body.
    pub reset: f64,
    /// The longest delay.
    pub max_delay: Duration,
    /// Requests left untouched after a drop or a reset.
    pub gap: u32,
}

/// What a proxy did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyCounts {
    /// Requests seen.
    pub requests: u64,
    /// Answers read from upstream and not delivered.
    pub dropped_answers: u64,
    /// Answers delivered late.
    pub delays: u64,
    /// Requests cut mid-body.
    pub resets: u64,
}

impl std::ops::AddAssign for ProxyCounts {
    fn add_assign(&mut self, other: ProxyCounts) {
        self.requests += other.requests;
        self.dropped_answers += other.dropped_answers;
        self.delays += other.delays;
        self.resets += other.resets;
    }
}

/// The decision for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    DropAnswer,
    Delay(Duration),
    Reset { after_bytes: usize },
}

#[derive(Debug, Default)]
struct Stats {
    requests: AtomicU64,
    dropped_answers: AtomicU64,
    delays: AtomicU64,
    resets: AtomicU64,
}

#[derive(Debug)]
struct Schedule {
    rng: StdRng,
    plan: Option<FaultPlan>,
    quiet: u32,
}

impl Schedule {
    fn next(&mut self, has_body: bool) -> Verdict {
        let Some(plan) = self.plan else {
            return Verdict::Pass;
        };
        if self.quiet > 0 {
            self.quiet -= 1;
            return Verdict::Pass;
        }
        let roll: f64 = self.rng.random();
        let verdict = if roll < plan.drop_answer {
            Verdict::DropAnswer
        } else if roll < plan.drop_answer + plan.delay {
            let max = plan.max_delay.as_millis().max(2);
            let millis = self.rng.random_range(1..max);
            Verdict::Delay(Duration::from_millis(u64::try_from(millis).unwrap_or(1)))
        } else if has_body && roll < plan.drop_answer + plan.delay + plan.reset {
            Verdict::Reset {
                after_bytes: self.rng.random_range(0..512),
            }
        } else {
            Verdict::Pass
        };
        if matches!(verdict, Verdict::DropAnswer | Verdict::Reset { .. }) {
            self.quiet = plan.gap;
        }
        verdict
    }
}

/// The seeded fault schedule, shared by the proxies of one cluster so that the gap after a
/// fault counts the requests a client sends to FE and BE alike.
#[derive(Debug, Clone)]
pub struct FaultSchedule(Arc<Mutex<Schedule>>);

impl FaultSchedule {
    /// A schedule without a plan (no faults) drawing from `seed`.
    pub fn new(seed: u64) -> FaultSchedule {
        FaultSchedule(Arc::new(Mutex::new(Schedule {
            rng: StdRng::seed_from_u64(seed),
            plan: None,
            quiet: 0,
        })))
    }

    /// Sets (or with `None` clears) the fault plan.
    pub fn set_plan(&self, plan: Option<FaultPlan>) {
        let mut schedule = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        schedule.plan = plan;
        schedule.quiet = 0;
    }
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    rewrites: Mutex<Vec<(SocketAddr, SocketAddr)>>,
    schedule: FaultSchedule,
    stats: Stats,
}

impl Shared {
    fn verdict(&self, has_body: bool) -> Verdict {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        self.schedule
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next(has_body)
    }

    fn count(&self, verdict: Verdict) {
        let counter = match verdict {
            Verdict::Pass => return,
            Verdict::DropAnswer => &self.stats.dropped_answers,
            Verdict::Delay(_) => &self.stats.delays,
            Verdict::Reset { .. } => &self.stats.resets,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn rewrites(&self) -> Vec<(SocketAddr, SocketAddr)> {
        self.rewrites
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A running proxy on `127.0.0.1`; dropping it closes the listener and every connection.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on an ephemeral loopback port and forwards to `upstream`, with faults from
    /// `schedule`.
    pub async fn start(upstream: SocketAddr, schedule: &FaultSchedule) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            rewrites: Mutex::new(Vec::new()),
            schedule: schedule.clone(),
            stats: Stats::default(),
        });
        let accept_shared = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                while connections.try_join_next().is_some() {}
                connections.spawn(http::serve(client, Arc::clone(&accept_shared)));
            }
        });
        Ok(Proxy { addr, shared, task })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Rewrites `from` to `to` in the `Location` of redirects passing through, and `from`'s
    /// port in BE lists (Doris `/api/backends`, StarRocks `/api/show_proc`).
    pub fn rewrite_location(&self, from: SocketAddr, to: SocketAddr) {
        self.shared
            .rewrites
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((from, to));
    }

    /// What it did so far.
    pub fn counts(&self) -> ProxyCounts {
        let stats = &self.shared.stats;
        ProxyCounts {
            requests: stats.requests.load(Ordering::Relaxed),
            dropped_answers: stats.dropped_answers.load(Ordering::Relaxed),
            delays: stats.delays.load(Ordering::Relaxed),
            resets: stats.resets.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
