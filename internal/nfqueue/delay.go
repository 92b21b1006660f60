//go:build linux

package nfqueue

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DelayFunc chooses how long to hold a packet.
type DelayFunc func(Packet) time.Duration

// Fixed holds every packet for d.
func Fixed(d time.Duration) DelayFunc { return func(Packet) time.Duration { return d } }

// Uniform holds each packet for a time drawn uniformly from [lo, hi], from
// a generator seeded with seed (deterministic draws, not timing).
func Uniform(lo, hi time.Duration, seed uint64) DelayFunc {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) //nolint:gosec // G404: seeded on purpose, for reproducible draws
	var mu sync.Mutex
	return func(Packet) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
	}
}

// Delayer accepts each packet of a queue after the time its DelayFunc
// chose, and never before a packet queued earlier: a packet whose time
// comes before its predecessor's leaves right after it, as on a link that
// delays but does not reorder.
//
// Its reader and its releaser each run on an OS thread of their own, with
// the SCHED_FIFO real-time policy when the process may set it (root): on a
// machine busy with other processes, a normal thread can wake tens of
// milliseconds late, and the delay would be what the scheduler made of it.
// Both wait in system calls (poll, nanosleep), not in Go's scheduler.
type Delayer struct {
	q     *Queue
	delay DelayFunc
	held  chan heldPacket
	done  chan struct{}

	mu    sync.Mutex
	stats Stats
	err   error
}

type heldPacket struct {
	id            uint32
	read, release time.Time
}

// Stats describe what a Delayer did.
type Stats struct {
	Packets  uint64        // accepted after their delay
	Overflow uint64        // times the kernel lost packets to a full socket buffer
	MinHeld  time.Duration // from Read returning to the verdict being sent
	MaxHeld  time.Duration // as MinHeld, the longest
	SumHeld  time.Duration // as MinHeld, summed over Packets
	Realtime int           // threads (of 2) that got SCHED_FIFO
}

// MeanHeld is the mean time a packet was held.
func (s Stats) MeanHeld() time.Duration {
	if s.Packets == 0 {
		return 0
	}
	return s.SumHeld / time.Duration(s.Packets)
}

// StartDelayer starts reading q and delaying its packets.
func StartDelayer(q *Queue, delay DelayFunc) *Delayer {
	d := &Delayer{q: q, delay: delay, held: make(chan heldPacket, maxQueueLen), done: make(chan struct{})}
	go d.read()
	go d.release()
	return d
}

// realtime locks the calling goroutine to its thread for good (the thread
// ends with the goroutine) and asks for SCHED_FIFO at a low real-time
// priority. It reports whether the policy was granted.
func realtime() bool {
	runtime.LockOSThread()
	attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 10}
	return unix.SchedSetAttr(0, attr, 0) == nil
}

func (d *Delayer) read() {
	defer close(d.held)
	if realtime() {
		d.mu.Lock()
		d.stats.Realtime++
		d.mu.Unlock()
	}
	var last time.Time
	for {
		p, err := d.q.Read()
		if errors.Is(err, ErrOverflow) {
			d.mu.Lock()
			d.stats.Overflow++
			d.mu.Unlock()
			continue
		}
		if err != nil {
			if !d.q.closed.Load() {
				d.setErr(err)
			}
			return
		}
		now := time.Now()
		rel := now.Add(d.delay(p))
		if rel.Before(last) {
			rel = last
		}
		last = rel
		d.held <- heldPacket{id: p.ID, read: now, release: rel}
	}
}

func (d *Delayer) release() {
	defer close(d.done)
	if realtime() {
		d.mu.Lock()
		d.stats.Realtime++
		d.mu.Unlock()
	}
	for h := range d.held {
		for w := time.Until(h.release); w > 0; w = time.Until(h.release) {
			ts := unix.NsecToTimespec(int64(w))
			_ = unix.Nanosleep(&ts, nil) // EINTR: sleep the rest
		}
		if err := d.q.Verdict(h.id, Accept); err != nil {
			if !d.q.closed.Load() {
				d.setErr(err)
			}
			continue
		}
		held := time.Since(h.read)
		d.mu.Lock()
		s := &d.stats
		if s.Packets == 0 || held < s.MinHeld {
			s.MinHeld = held
		}
		s.MaxHeld = max(s.MaxHeld, held)
		s.SumHeld += held
		s.Packets++
		d.mu.Unlock()
	}
}

func (d *Delayer) setErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
}

// Stats returns the statistics so far.
func (d *Delayer) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Stop closes the queue (the kernel drops what is still held) and returns
// the statistics and the first error the Delayer met.
func (d *Delayer) Stop() (Stats, error) {
	cerr := d.q.Close()
	<-d.done
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats, errors.Join(d.err, cerr)
}
