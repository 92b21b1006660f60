package collectors

// Arena is storage for the objects of many snapshots taken together, as one
// GetStats takes them: it allocates their boxes (an object with the storage
// for its members) in blocks instead of one at a time. For a thousand
// streams, allocating box by box was about a third of a report's cost.
// Every object taken from an Arena keeps its block alive, which a report
// does anyway. A nil *Arena stands for a fresh one, which allocates each
// box on its own. An Arena is not safe for concurrent use.
type Arena struct {
	in   slab[inboundBox]
	out  slab[outboundBox]
	outV slab[outboundVideoBox]
	outA slab[outboundAudioBox]
	rin  slab[remoteInboundBox]
	rout slab[remoteOutboundBox]
}

// slab hands out the elements of blocks that double in size up to
// maxSlabLen, so that a snapshot of one stream does not allocate a block
// for a thousand.
type slab[T any] struct {
	free []T
	n    int
}

const (
	minSlabLen = 1
	maxSlabLen = 256
)

func (s *slab[T]) get() *T {
	if len(s.free) == 0 {
		s.n = min(max(2*s.n, minSlabLen), maxSlabLen)
		s.free = make([]T, s.n)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}
