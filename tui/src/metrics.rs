//! Live figures the screen shows, derived from the world's running totals and gauges and
//! from the driver's typed counts of observations (no trace text is read): rates (differences of totals over a window of
//! simulated time), and short histories for the sparklines and the data-loss window chart.
//! Everything here is bounded in memory and deterministic (no wall clock).

use models::types::SiteId;
use models::world::World;
use scenarios::runner::Driver;
use sim::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Samples kept in each history (sparklines, chart).
pub const HISTORY: usize = 600;
/// Rates are computed over this much simulated time.
pub const RATE_WINDOW: SimDuration = SimDuration::from_millis(1000);
/// A rate sample is kept at most this often (simulated time).
const SAMPLE_EVERY: SimDuration = SimDuration::from_millis(10);

/// Running totals at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Host writes completed (every host).
    pub host_writes: u64,
    /// Replicated writes numbered (sequence numbers assigned), by host; the last slot
    /// counts writes to volumes several hosts write.
    pub seq_by_host: Vec<u64>,
    /// Replicated writes numbered, by storage control.
    pub seq_by_ss: Vec<u64>,
    /// Sequence numbers assigned.
    pub seqs: u64,
    /// Mover reads of changed data.
    pub mover_reads: u64,
    /// Messages sent to the secondaries.
    pub messages: u64,
    /// Tokens received, by site.
    pub token_rx: Vec<u64>,
    /// Updates applied, by site.
    pub applied: Vec<u64>,
    /// Link transmission time, ns, by site.
    pub link_busy_ns: Vec<u64>,
}

/// The figures. See the module documentation.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Totals now.
    pub now: Totals,
    samples: VecDeque<(SimTime, Totals)>,
    /// Storage control of each volume.
    vol_ss: Vec<usize>,
    /// Host writing each volume (`hosts.len()`: several or none).
    vol_host: Vec<usize>,
    paths: Vec<u64>,
    /// Link utilisation per frame, per mille, by site.
    pub util: Vec<VecDeque<u64>>,
    /// Bytes in flight per frame, by site.
    pub bytes_in_flight: Vec<VecDeque<u64>>,
    /// Data-loss window per frame: (simulated seconds, milliseconds), by site.
    pub lag: Vec<VecDeque<(f64, f64)>>,
    last_t: SimTime,
}

impl Metrics {
    /// Figures for `w` at its start.
    pub fn new(w: &World) -> Metrics {
        let cfg = w.config();
        let n_hosts = cfg.hosts.len();
        let mut vol_host = vec![usize::MAX; cfg.volumes.len()];
        for (h, host) in cfg.hosts.iter().enumerate() {
            for a in &host.apps {
                for (v, _) in &a.datasets {
                    let slot = &mut vol_host[v.0 as usize];
                    *slot = if *slot == usize::MAX || *slot == h {
                        h
                    } else {
                        n_hosts
                    };
                }
            }
        }
        for s in &mut vol_host {
            if *s == usize::MAX {
                *s = n_hosts;
            }
        }
        let n_sites = cfg.sites.len();
        let mut m = Metrics {
            now: Totals {
                seq_by_host: vec![0; n_hosts + 1],
                seq_by_ss: vec![0; cfg.subsystems.len()],
                token_rx: vec![0; n_sites],
                applied: vec![0; n_sites],
                link_busy_ns: vec![0; n_sites],
                ..Totals::default()
            },
            samples: VecDeque::new(),
            vol_ss: cfg.volumes.iter().map(|v| v.subsystem.0 as usize).collect(),
            vol_host,
            paths: (0..n_sites)
                .map(|i| w.link_paths(i).max(1) as u64)
                .collect(),
            util: vec![VecDeque::new(); n_sites],
            bytes_in_flight: vec![VecDeque::new(); n_sites],
            lag: vec![VecDeque::new(); n_sites],
            last_t: SimTime::ZERO,
        };
        m.samples.push_back((SimTime::ZERO, m.now.clone()));
        m
    }

    /// Takes the world's totals and gauges at `now` (after a frame's events).
    pub fn observe(&mut self, d: &Driver, now: SimTime) {
        let w = d.world();
        let (writes, _, _) = d.checker().primary_stats();
        self.now.host_writes = writes;
        let c = d.counts();
        self.now.seqs = c.seqs;
        self.now.seq_by_ss.iter_mut().for_each(|x| *x = 0);
        self.now.seq_by_host.iter_mut().for_each(|x| *x = 0);
        for (v, &n) in c.seq_by_vol.iter().enumerate() {
            self.now.seq_by_ss[self.vol_ss[v]] += n;
            self.now.seq_by_host[self.vol_host[v]] += n;
        }
        self.now.token_rx.clone_from(&c.token_rx);
        self.now.applied.clone_from(&c.applied);
        self.now.mover_reads = w.stats.mover_reads;
        self.now.messages = w.stats.messages;
        let g = w.gauges();
        let dt = now.saturating_since(self.last_t).as_nanos();
        for (i, sg) in g.sites.iter().enumerate() {
            let busy = sg.link_busy_ns;
            let d_busy = busy.saturating_sub(self.now.link_busy_ns[i]);
            self.now.link_busy_ns[i] = busy;
            if dt > 0 {
                let pm = (d_busy as u128 * 1000 / (dt as u128 * self.paths[i] as u128)) as u64;
                push(&mut self.util[i], pm.min(1000));
                push(&mut self.bytes_in_flight[i], sg.link_bytes_in_flight);
                let lag = d.checker().lag(SiteId(i as u8), now).as_nanos();
                push(
                    &mut self.lag[i],
                    (now.as_nanos() as f64 / 1e9, lag as f64 / 1e6),
                );
            }
        }
        if dt > 0 {
            self.last_t = now;
        }
        let last = self.samples.back().map_or(SimTime::ZERO, |s| s.0);
        if now >= last + SAMPLE_EVERY || now < last {
            self.samples.push_back((now, self.now.clone()));
        }
        // Keep one sample older than the window.
        while self.samples.len() > 2 && self.samples[1].0 + RATE_WINDOW <= now {
            self.samples.pop_front();
        }
    }

    /// Per simulated second, over the rate window, of the total `f` picks.
    pub fn rate(&self, now: SimTime, f: impl Fn(&Totals) -> u64) -> f64 {
        let Some((t0, old)) = self.samples.front() else {
            return 0.0;
        };
        let dt = now.saturating_since(*t0).as_nanos();
        if dt == 0 {
            return 0.0;
        }
        f(&self.now).saturating_sub(f(old)) as f64 * 1e9 / dt as f64
    }
}

fn push<T>(h: &mut VecDeque<T>, v: T) {
    if h.len() >= HISTORY {
        h.pop_front();
    }
    h.push_back(v);
}
