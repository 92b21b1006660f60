package impairnet

import "time"

// Counter counts datagrams and their bytes.
type Counter struct {
	Packets uint64 // datagrams
	Bytes   uint64 // UDP payload bytes of those datagrams
}

func (c *Counter) add(size int) {
	c.Packets++
	c.Bytes += uint64(size)
}

// Counters groups what happened to outgoing datagrams.
type Counters struct {
	// Passed counts datagrams handed to the socket, at once or after their
	// delay. It is incremented just before the write (so it is never behind
	// what a receiver has seen) and decremented again if the write fails.
	Passed Counter
	// Dropped counts datagrams discarded by a drop rule (retransmissions
	// included, unlike [Net.Dropped]).
	Dropped Counter
	// Delayed counts datagrams queued for delayed sending; once sent they
	// are counted in Passed as well.
	Delayed Counter
	// MaxLate is the most a delayed datagram was handed to the socket after
	// it was due: what a busy machine added to the configured delay.
	MaxLate time.Duration
}

func (c *Counters) addAll(o Counters) {
	for _, p := range [...]struct{ dst, src *Counter }{
		{&c.Passed, &o.Passed}, {&c.Dropped, &o.Dropped}, {&c.Delayed, &o.Delayed},
	} {
		p.dst.Packets += p.src.Packets
		p.dst.Bytes += p.src.Bytes
	}
	c.MaxLate = max(c.MaxLate, o.MaxLate)
}

// Stats is a snapshot of a Net's counters.
type Stats struct {
	// Total sums all classes.
	Total Counters
	// ByClass has an entry for every [Class] (see [Classes]).
	ByClass map[Class]Counters
	// BySSRC counts RTP datagrams per SSRC.
	BySSRC map[uint32]Counters
	// WriteErrors counts socket write failures. Failures of immediate
	// writes are also returned to the caller; those of delayed writes are
	// only counted here.
	WriteErrors uint64
	// DiscardedOnClose counts delayed datagrams never sent because their
	// socket was closed first.
	DiscardedOnClose uint64
}

// Stats returns a snapshot of the counters.
func (n *Net) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := Stats{
		ByClass:          make(map[Class]Counters, numClasses),
		BySSRC:           make(map[uint32]Counters, len(n.bySSRC)),
		WriteErrors:      n.writeErrs,
		DiscardedOnClose: n.discarded,
	}
	for c := range n.byClass {
		s.ByClass[Class(c)] = n.byClass[c]
		s.Total.addAll(n.byClass[c])
	}
	for ssrc, c := range n.bySSRC {
		s.BySSRC[ssrc] = *c
	}

	return s
}
