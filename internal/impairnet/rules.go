package impairnet

// dropRule decides whether an outgoing datagram is dropped. drop is called
// with Net.mu held, so rules may keep state without locking of their own.
type dropRule interface {
	drop(pkt []byte, info Info) bool
}

// predicateRule drops whatever its predicate selects.
type predicateRule struct {
	pred func(pkt []byte) bool
}

func (r *predicateRule) drop(pkt []byte, _ Info) bool { return r.pred(pkt) }

type ssrcSeq struct {
	ssrc uint32
	seq  uint16
}

// rtpRule drops RTP packets of one SSRC (or any SSRC) whose sequence number
// matches, up to limit distinct packets. Once a (SSRC, seq) has been dropped,
// every later packet with the same SSRC and seq (a retransmission) is dropped
// too, without counting against the limit.
type rtpRule struct {
	ssrc    uint32
	match   func(seq uint16) bool
	limit   int
	count   int
	dropped map[ssrcSeq]struct{}
}

func (r *rtpRule) drop(_ []byte, info Info) bool {
	if info.Class != ClassRTP || (r.ssrc != 0 && info.SSRC != r.ssrc) {
		return false
	}
	key := ssrcSeq{info.SSRC, info.Seq}
	if _, ok := r.dropped[key]; ok {
		return true
	}
	if r.limit > 0 && r.count >= r.limit {
		return false
	}
	if r.match != nil && !r.match(info.Seq) {
		return false
	}
	r.count++
	r.dropped[key] = struct{}{}

	return true
}

func newRTPRule(ssrc uint32, match func(seq uint16) bool, limit int) *rtpRule {
	return &rtpRule{ssrc: ssrc, match: match, limit: limit, dropped: map[ssrcSeq]struct{}{}}
}

// SeqMod returns a sequence-number matcher selecting seq%mod == rem, for
// [WithDropRTP]. mod must not be 0.
func SeqMod(mod, rem uint16) func(seq uint16) bool {
	if mod == 0 {
		panic("impairnet: SeqMod with mod 0") //nolint:forbidigo // a programming error, like dividing by zero
	}

	return func(seq uint16) bool { return seq%mod == rem }
}

// SeqIn returns a sequence-number matcher selecting exactly the given
// sequence numbers, for [WithDropRTP].
func SeqIn(seqs ...uint16) func(seq uint16) bool {
	set := make(map[uint16]struct{}, len(seqs))
	for _, s := range seqs {
		set[s] = struct{}{}
	}

	return func(seq uint16) bool {
		_, ok := set[seq]

		return ok
	}
}

// MatchRTP returns a datagram predicate for [WithDrop] selecting RTP packets
// of ssrc (0 = any SSRC) whose sequence number satisfies match (nil = all).
// Unlike [WithDropRTP] it is stateless: no limit, no retransmission tracking.
func MatchRTP(ssrc uint32, match func(seq uint16) bool) func(pkt []byte) bool {
	return func(pkt []byte) bool {
		info := Parse(pkt)
		if info.Class != ClassRTP || (ssrc != 0 && info.SSRC != ssrc) {
			return false
		}

		return match == nil || match(info.Seq)
	}
}

// MatchClass returns a datagram predicate for [WithDrop] selecting every
// datagram of the given classes, e.g. MatchClass(ClassRTCP) drops all RTCP.
func MatchClass(classes ...Class) func(pkt []byte) bool {
	var mask [numClasses]bool
	for _, c := range classes {
		if c >= 0 && c < numClasses {
			mask[c] = true
		}
	}

	return func(pkt []byte) bool { return mask[Classify(pkt)] }
}
