package peers

import (
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/dscp"
)

// DSCPPolicy is the RFC 8837 marking the examples use (examples/loopback
// spells it out): audio high (EF), video medium (AF42 key frames, AF43
// others), data channels low (DF).
func DSCPPolicy() rtcstats.Option {
	return rtcstats.WithDSCP(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium),
		dscp.WithDataChannelPriority(dscp.PriorityLow),
	)
}
