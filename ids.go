package rtcstats

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// idGen hands out stats ids that are stable for an object's life, unique per
// PeerConnection, never reused, and not derivable from an SSRC: a random
// per-PeerConnection salt plus a sequence number.
type idGen struct {
	salt string
	n    atomic.Uint64
}

func newIDGen() *idGen {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return &idGen{salt: hex.EncodeToString(b[:])}
}

// next returns a fresh id with the given type prefix, e.g. "OT3f9a2c01-4".
func (g *idGen) next(prefix string) string {
	return prefix + g.salt + "-" + strconv.FormatUint(g.n.Add(1), 10)
}
