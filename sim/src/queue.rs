//! The future-event list: binary heaps in total, stable order.
//!
//! Order is (time, scheduling sequence number): two events at the same instant are
//! dispatched in the order they were scheduled, so a run never depends on heap internals.
//! Ordinary events cost one heap push and one pop, in entries of 16 bytes plus the event
//! (time; sequence number and target packed in one word). Timers (events that may be
//! cancelled: batching timers, timeouts) live in a second heap whose entries also carry a
//! slot in a small generation-checked slab, so a cancelled timer is skipped when it reaches
//! the top and a stale handle can never cancel somebody else's timer. A pop takes the
//! earlier of the two heaps' tops by (time, sequence number): the same order as one heap.

use crate::{ComponentId, SimTime};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The scheduling sequence number of an event: unique per simulation, increasing in the
/// order events were scheduled. Also the tie-breaker between events at the same instant.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId(pub u64);

/// A handle to a cancellable event (see [`crate::Ctx::set_timer_in`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimerId {
    slot: u32,
    generation: u32,
}

/// Bits of an entry's packed word that hold the target component (the low bits; the
/// sequence number is above them, so the word orders as the sequence number).
const TARGET_BITS: u32 = 22;
/// The most components an event can be addressed to: 4,194,304.
pub const MAX_COMPONENTS: u64 = 1 << TARGET_BITS;
/// The most events one queue can schedule: 2^42 (about 4.4 x 10^12; 55 hours of
/// scheduling at 22 million events per second).
pub const MAX_EVENTS: u64 = 1 << (64 - TARGET_BITS);

/// One scheduled event.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Entry<E> {
    pub(crate) time: SimTime,
    /// `seq << TARGET_BITS | target`.
    word: u64,
    pub(crate) event: E,
}

impl<E> Entry<E> {
    /// The component the event is addressed to.
    #[inline]
    pub(crate) fn target(&self) -> ComponentId {
        ComponentId((self.word & (MAX_COMPONENTS - 1)) as u32)
    }
    /// (time, sequence number) as one 128-bit key: the target bits below the unique
    /// sequence number never decide.
    #[inline]
    fn key(&self) -> u128 {
        ((self.time.as_nanos() as u128) << 64) | self.word as u128
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.word == o.word
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that the std max-heap pops the earliest (time, seq) first.
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        // One 128-bit comparison (time, then seq): branch-free in the heap's sift loops.
        o.key().cmp(&self.key())
    }
}

/// The ordinary events' min-heap on (time, sequence number): a plain binary heap over a
/// `Vec`, written out so that its push and pop inline into the dispatch loop (the standard
/// library's `BinaryHeap::pop` stays an out-of-line call there).
///
/// A pop takes the root's entry and leaves a *hole* at the root instead of re-ordering the
/// heap at once. Most handlers schedule an event of their own right after (the pop of one
/// event and the push of its successor), and that push fills the hole: one sift down from
/// the root instead of a sift down and a sift up. Anything else that needs the heap in
/// order (the next pop, a peek) first fills the hole with the last entry, as a plain pop
/// would have. The order of events is the same by construction: keys are unique and the
/// root is always the least live key.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct MinHeap<E> {
    v: Vec<Entry<E>>,
    /// `v[0]` was popped and is not a live entry (its bits are a stale copy).
    #[serde(default)]
    hole: bool,
}

impl<E: Copy> MinHeap<E> {
    #[inline]
    fn len(&self) -> usize {
        self.v.len() - self.hole as usize
    }
    #[inline]
    fn peek(&mut self) -> Option<&Entry<E>> {
        self.settle();
        self.v.first()
    }
    #[inline]
    fn reserve(&mut self, n: usize) {
        self.v.reserve(n);
    }

    /// Fills a pending hole at the root with the last entry (the rest of a plain pop).
    #[inline(always)]
    fn settle(&mut self) {
        if !self.hole {
            return;
        }
        self.hole = false;
        let last = self.v.pop().expect("the hole is a slot of the vector");
        let n = self.v.len();
        if n > 0 {
            // SAFETY: slot 0 holds no live entry (the hole); `n` is the length.
            unsafe { Self::fill_root(self.v.as_mut_ptr(), n, last) }
        }
    }

    #[inline(always)]
    fn push(&mut self, e: Entry<E>) {
        if self.hole {
            self.hole = false;
            let n = self.v.len();
            // SAFETY: slot 0 is the hole (no live entry) and `n` >= 1 is the length.
            unsafe { Self::fill_root(self.v.as_mut_ptr(), n, e) }
            return;
        }
        let i = self.v.len();
        self.v.push(e);
        // SAFETY: `i` is the index of the entry just pushed, below the length; the entry is
        // read out once and written back once by `sift_up`.
        unsafe {
            let p = self.v.as_mut_ptr();
            let e = std::ptr::read(p.add(i));
            Self::sift_up(p, i, e);
        }
    }

    /// Moves the hole at `i` up past every parent with a larger key and writes `e` there.
    ///
    /// # Safety
    /// `i` and every parent index are below the length of the vector `p` points into, and
    /// slot `i` holds no live entry (it was read out or moved away).
    #[inline(always)]
    unsafe fn sift_up(p: *mut Entry<E>, mut i: usize, e: Entry<E>) {
        let key = e.key();
        // SAFETY: the caller's guarantee; parents of `i` are smaller indices.
        unsafe {
            while i > 0 {
                let parent = (i - 1) / 2;
                if (*p.add(parent)).key() <= key {
                    break;
                }
                std::ptr::copy_nonoverlapping(p.add(parent), p.add(i), 1);
                i = parent;
            }
            std::ptr::write(p.add(i), e);
        }
    }

    /// Writes `e` into the hole at the root of the `n` slots at `p`: the hole moves down the
    /// path of smaller children while a child is earlier than `e`. Top-down with an early
    /// stop, because a successor event is often due soon and belongs near the root (on
    /// `xrc16`, 1.6 % fewer instructions than walking to the bottom and sifting back up).
    ///
    /// # Safety
    /// `n` >= 1 slots at `p` are initialised except slot 0, which holds no live entry.
    #[inline(always)]
    unsafe fn fill_root(p: *mut Entry<E>, n: usize, e: Entry<E>) {
        // SAFETY: every index read or written is below `n`.
        unsafe {
            let key = e.key();
            let mut i = 0;
            let mut child = 1;
            while child < n {
                let c = if child + 1 < n {
                    child + ((*p.add(child + 1)).key() < (*p.add(child)).key()) as usize
                } else {
                    child
                };
                if (*p.add(c)).key() > key {
                    break;
                }
                std::ptr::copy_nonoverlapping(p.add(c), p.add(i), 1);
                i = c;
                child = 2 * i + 1;
            }
            std::ptr::write(p.add(i), e);
        }
    }

    /// Takes the root's entry, leaving the hole for the next push (or settle) to fill.
    #[inline(always)]
    fn pop(&mut self) -> Option<Entry<E>> {
        self.settle();
        let top = *self.v.first()?;
        self.hole = true;
        Some(top)
    }
}

/// A scheduled timer: an entry and its slot.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TimerEntry<E> {
    entry: Entry<E>,
    slot: u32,
}

impl<E> PartialEq for TimerEntry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.entry == o.entry
    }
}
impl<E> Eq for TimerEntry<E> {}
impl<E> PartialOrd for TimerEntry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for TimerEntry<E> {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        self.entry.cmp(&o.entry)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct TimerSlot {
    generation: u32,
    armed: bool,
}

/// The event queue. Generic over the (small, `Copy`) event payload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EventQueue<E> {
    heap: MinHeap<E>,
    timer_heap: BinaryHeap<TimerEntry<E>>,
    next_seq: u64,
    timers: Vec<TimerSlot>,
    free_timers: Vec<u32>,
    /// Entries in the timer heap whose timer was cancelled (still occupying heap space).
    cancelled_in_heap: usize,
    high_water: usize,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: MinHeap {
                v: Vec::new(),
                hole: false,
            },
            timer_heap: BinaryHeap::new(),
            next_seq: 0,
            timers: Vec::new(),
            free_timers: Vec::new(),
            cancelled_in_heap: 0,
            high_water: 0,
        }
    }

    /// An empty queue with room for `n` events before it reallocates.
    pub fn with_capacity(n: usize) -> Self {
        let mut q = Self::new();
        q.heap.reserve(n);
        q
    }

    /// Events waiting to be dispatched (cancelled timers excluded).
    #[inline]
    pub fn len(&self) -> usize {
        self.heap.len() + self.timer_heap.len() - self.cancelled_in_heap
    }

    /// Whether no event is waiting.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most events ever waiting at once.
    #[inline]
    pub fn high_water(&self) -> usize {
        self.high_water
    }

    /// The number of events scheduled so far (the next [`EventId`]).
    #[inline]
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }

    /// The next entry: sequence number and target packed. Panics beyond [`MAX_EVENTS`]
    /// events or for a target beyond [`MAX_COMPONENTS`] (one predictable branch).
    #[inline(always)]
    fn next_entry(&mut self, time: SimTime, target: ComponentId, event: E) -> Entry<E> {
        let seq = self.next_seq;
        assert!(
            seq < MAX_EVENTS && (target.0 as u64) < MAX_COMPONENTS,
            "event queue limit: at most {MAX_EVENTS} events per simulation and component ids below {MAX_COMPONENTS} (event {seq}, component {})",
            target.0
        );
        self.next_seq += 1;
        Entry {
            time,
            word: (seq << TARGET_BITS) | target.0 as u64,
            event,
        }
    }

    #[inline(always)]
    fn count_live(&mut self) {
        // Live <= in the heaps: no update unless the heaps hold more than the mark.
        let held = self.heap.len() + self.timer_heap.len();
        if held > self.high_water {
            let live = held - self.cancelled_in_heap;
            if live > self.high_water {
                self.high_water = live;
            }
        }
    }

    /// Schedules `event` for `target` at `time`. The caller guarantees `time` is not in the
    /// past ([`crate::Ctx`] and [`crate::Simulation`] check it).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, target: ComponentId, event: E) -> EventId {
        let seq = self.next_seq;
        let e = self.next_entry(time, target, event);
        self.heap.push(e);
        self.count_live();
        EventId(seq)
    }

    /// Schedules a cancellable event and returns its handle.
    pub fn push_timer(&mut self, time: SimTime, target: ComponentId, event: E) -> TimerId {
        let slot = match self.free_timers.pop() {
            Some(s) => {
                self.timers[s as usize].armed = true;
                s
            }
            None => {
                self.timers.push(TimerSlot {
                    generation: 0,
                    armed: true,
                });
                (self.timers.len() - 1) as u32
            }
        };
        let generation = self.timers[slot as usize].generation;
        let entry = self.next_entry(time, target, event);
        self.timer_heap.push(TimerEntry { entry, slot });
        self.count_live();
        TimerId { slot, generation }
    }

    /// Cancels a timer. Returns `true` if it was still pending, `false` if it already fired
    /// or was already cancelled (a stale handle is harmless).
    pub fn cancel(&mut self, id: TimerId) -> bool {
        match self.timers.get_mut(id.slot as usize) {
            Some(s) if s.generation == id.generation && s.armed => {
                s.armed = false;
                self.cancelled_in_heap += 1;
                true
            }
            _ => false,
        }
    }

    /// Releases a timer slot when its entry leaves the heap; returns whether it was armed.
    #[inline]
    fn retire_timer(&mut self, slot: u32) -> bool {
        let s = &mut self.timers[slot as usize];
        let armed = s.armed;
        s.armed = false;
        s.generation = s.generation.wrapping_add(1);
        self.free_timers.push(slot);
        if !armed {
            self.cancelled_in_heap -= 1;
        }
        armed
    }

    /// Drops cancelled timers sitting at the top of the timer heap.
    #[inline]
    fn skip_cancelled(&mut self) {
        while self.cancelled_in_heap > 0 {
            match self.timer_heap.peek() {
                Some(top) if !self.timers[top.slot as usize].armed => {
                    let t = self.timer_heap.pop().expect("peeked");
                    self.retire_timer(t.slot);
                }
                _ => break,
            }
        }
    }

    /// Whether the next entry is the timer heap's top (rather than the ordinary heap's);
    /// `None` when both are empty.
    #[inline]
    fn next_is_timer(&mut self) -> Option<bool> {
        match (self.heap.peek(), self.timer_heap.peek()) {
            (Some(e), Some(t)) => Some(t.entry.key() < e.key()),
            (Some(_), None) => Some(false),
            (None, Some(_)) => Some(true),
            (None, None) => None,
        }
    }

    /// The time of the next live event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        match self.next_is_timer()? {
            false => self.heap.peek().map(|e| e.time),
            true => self.timer_heap.peek().map(|t| t.entry.time),
        }
    }

    /// Removes and returns the next live event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Entry<E>> {
        if self.timer_heap.is_empty() {
            return self.heap.pop();
        }
        loop {
            if !self.next_is_timer()? {
                return self.heap.pop();
            }
            let t = self.timer_heap.pop().expect("peeked");
            if self.retire_timer(t.slot) {
                return Some(t.entry);
            }
        }
    }

    /// Removes and returns the next live event if it is due at or before `limit`.
    #[inline]
    pub(crate) fn pop_due(&mut self, limit: SimTime) -> Option<Entry<E>> {
        match self.peek_time() {
            Some(t) if t <= limit => self.pop(),
            _ => None,
        }
    }

    /// Public form of [`Self::pop`] for code that drives a queue without a [`crate::Simulation`]:
    /// `(time, target, event)` of the next live event.
    pub fn pop_next(&mut self) -> Option<(SimTime, ComponentId, E)> {
        self.pop().map(|e| (e.time, e.target(), e.event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(n: u32) -> ComponentId {
        ComponentId(n)
    }

    #[test]
    fn ties_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        for i in 0..100u32 {
            q.push(SimTime::from_nanos(5), c(0), i);
        }
        q.push(SimTime::from_nanos(1), c(0), 1000);
        assert_eq!(q.pop_next().unwrap().2, 1000);
        for i in 0..100u32 {
            assert_eq!(q.pop_next().unwrap().2, i);
        }
        assert!(q.pop_next().is_none());
    }

    #[test]
    fn cancel_skips_and_stale_handles_are_harmless() {
        let mut q = EventQueue::new();
        let t1 = q.push_timer(SimTime::from_nanos(10), c(0), 1);
        let _t2 = q.push_timer(SimTime::from_nanos(20), c(0), 2);
        q.push(SimTime::from_nanos(15), c(0), 3);
        assert_eq!(q.len(), 3);
        assert!(q.cancel(t1));
        assert!(!q.cancel(t1), "second cancel is a no-op");
        assert_eq!(q.len(), 2);
        assert_eq!(q.peek_time(), Some(SimTime::from_nanos(15)));
        assert_eq!(q.pop_next().unwrap().2, 3);
        // t1's slot is free again; a new timer reuses it with a new generation.
        let t3 = q.push_timer(SimTime::from_nanos(30), c(0), 4);
        assert!(
            !q.cancel(t1),
            "stale handle must not cancel the slot's new timer"
        );
        assert_eq!(q.pop_next().unwrap().2, 2);
        assert!(q.cancel(t3));
        assert!(q.pop_next().is_none());
        assert!(q.is_empty());
    }

    #[test]
    fn fired_timer_cannot_be_cancelled() {
        let mut q = EventQueue::new();
        let t = q.push_timer(SimTime::from_nanos(1), c(0), 1);
        assert_eq!(q.pop_next().unwrap().2, 1);
        assert!(!q.cancel(t));
        assert_eq!(q.len(), 0);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(u64),
        Timer(u64),
        Cancel(usize),
        Pop,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u64..50).prop_map(Op::Push),
            2 => (0u64..50).prop_map(Op::Timer),
            1 => (0usize..64).prop_map(Op::Cancel),
            3 => Just(Op::Pop),
        ]
    }

    /// Targets spread over the whole id range, the largest included.
    fn target(seq: u64) -> ComponentId {
        c(((seq * 0x9e37_79b9) % MAX_COMPONENTS) as u32
            | if seq.is_multiple_of(5) { 0x3f_ffff } else { 0 })
    }

    /// Entries are 16 bytes plus the event: the size the sift loops move.
    #[test]
    fn entries_are_small() {
        assert_eq!(std::mem::size_of::<Entry<u8>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<[u64; 2]>>(), 32);
    }

    #[test]
    #[should_panic(expected = "component ids below 4194304")]
    fn a_target_beyond_the_packed_range_is_refused() {
        let mut q = EventQueue::new();
        q.push(SimTime::ZERO, c(MAX_COMPONENTS as u32), ());
    }

    /// A pop leaves a hole at the root for the next push; a clone taken then (a snapshot
    /// between two events) continues exactly as the original, with or without that push.
    #[test]
    fn a_clone_between_pop_and_push_continues_the_same() {
        let mut q = EventQueue::new();
        for i in 0..20u64 {
            q.push(SimTime::from_nanos((i * 7919) % 31), c(0), i);
        }
        assert!(q.pop_next().is_some());
        let mut snap = q.clone();
        assert_eq!(snap.len(), q.len());
        q.push(SimTime::from_nanos(40), c(1), 100);
        snap.push(SimTime::from_nanos(40), c(1), 100);
        let a: Vec<_> = std::iter::from_fn(|| q.pop_next()).collect();
        let b: Vec<_> = std::iter::from_fn(|| snap.pop_next()).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 20);
        assert!(a.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    /// Timers and ordinary events at the same instant pop in scheduling order.
    #[test]
    fn timers_and_events_interleave_by_sequence() {
        let mut q = EventQueue::new();
        let t = SimTime::from_nanos(7);
        q.push(t, c(1), 0);
        q.push_timer(t, c(2), 1);
        q.push(t, c(3), 2);
        let x = q.push_timer(t, c(4), 3);
        q.push_timer(t, c(5), 4);
        assert!(q.cancel(x));
        let got: Vec<_> = std::iter::from_fn(|| q.pop_next())
            .map(|e| (e.1.0, e.2))
            .collect();
        assert_eq!(got, [(1, 0), (2, 1), (3, 2), (5, 4)]);
    }

    proptest! {
        /// Against a simple model: a sorted list of live (time, seq, payload) entries.
        #[test]
        fn matches_a_sorted_list_model(ops in proptest::collection::vec(op(), 1..300)) {
            let mut q = EventQueue::new();
            let mut model: Vec<(u64, u64, u64)> = Vec::new();
            let mut timers: Vec<(TimerId, u64)> = Vec::new();
            let mut now = 0u64;
            let mut seq = 0u64;
            for o in ops {
                match o {
                    Op::Push(dt) => {
                        q.push(SimTime::from_nanos(now + dt), target(seq), seq);
                        model.push((now + dt, seq, seq));
                        seq += 1;
                    }
                    Op::Timer(dt) => {
                        let id = q.push_timer(SimTime::from_nanos(now + dt), target(seq), seq);
                        model.push((now + dt, seq, seq));
                        timers.push((id, seq));
                        seq += 1;
                    }
                    Op::Cancel(i) => {
                        if !timers.is_empty() {
                            let (id, s) = timers[i % timers.len()];
                            let was_live = model.iter().any(|e| e.1 == s);
                            prop_assert_eq!(q.cancel(id), was_live);
                            model.retain(|e| e.1 != s);
                        }
                    }
                    Op::Pop => {
                        model.sort();
                        let want = if model.is_empty() { None } else { Some(model.remove(0)) };
                        let got = q.pop_next();
                        prop_assert_eq!(
                            got.map(|g| (g.0.as_nanos(), g.1, g.2)),
                            want.map(|w| (w.0, target(w.2), w.2))
                        );
                        prop_assert_eq!(q.peek_time().is_none(), model.is_empty());
                        if let Some(w) = want { now = w.0; }
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
        }
    }
}
