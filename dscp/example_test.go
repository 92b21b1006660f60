package dscp_test

import (
	"errors"
	"fmt"

	"github.com/rtcstats/rtcstats/dscp"
)

// Lookup is RFC 8837 Table 1: a flow type and a priority give the code
// point of the packets of frames that do not depend on earlier frames
// (Important) and of the others.
func ExampleLookup() {
	for _, f := range []dscp.FlowType{dscp.FlowAudio, dscp.FlowInteractiveVideo, dscp.FlowNonInteractiveVideo, dscp.FlowData} {
		fmt.Printf("%-21s", f)
		for _, p := range []dscp.Priority{dscp.PriorityVeryLow, dscp.PriorityLow, dscp.PriorityMedium, dscp.PriorityHigh} {
			c, err := dscp.Lookup(f, p)
			if err != nil {
				fmt.Println(err)
				return
			}
			fmt.Printf(" %s/%s", c.Important, c.Other)
		}
		fmt.Println()
	}
	// Output:
	// audio                 LE/LE DF/DF EF/EF EF/EF
	// interactive-video     LE/LE DF/DF AF42/AF43 AF41/AF42
	// non-interactive-video LE/LE DF/DF AF32/AF33 AF31/AF32
	// data                  LE/LE DF/DF AF11/AF11 AF21/AF21
}

// ParseCodePoint accepts names and decimal values, and rejects anything
// else with an error wrapping ErrInvalidCodePoint.
func ExampleParseCodePoint() {
	for _, s := range []string{"EF", "af41", "46", "CS0", "64", "AF44"} {
		c, err := dscp.ParseCodePoint(s)
		if err != nil {
			fmt.Printf("%s: invalid: %v\n", s, errors.Is(err, dscp.ErrInvalidCodePoint))
			continue
		}
		fmt.Printf("%s: %s = %d, TOS byte %#02x\n", s, c, uint8(c), c.TOS(0))
	}
	// Output:
	// EF: EF = 46, TOS byte 0xb8
	// af41: AF41 = 34, TOS byte 0x88
	// 46: EF = 46, TOS byte 0xb8
	// CS0: DF = 0, TOS byte 0x00
	// 64: invalid: true
	// AF44: invalid: true
}

// A Marker holds the marking policy, given as options; rtcstats.WithDSCP
// takes the same options and makes the factory's Marker. The policy can
// change while packets flow, and invalid input changes nothing.
func ExampleNewMarker() {
	m, err := dscp.NewMarker(
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium),
		dscp.WithTrackPriority("screen", dscp.PriorityHigh),
		dscp.WithDataChannelPriority(dscp.PriorityMedium),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("data channels:", m.DataCodePoint(), "handshakes:", m.HandshakeCodePoint())

	_ = m.SetDataChannelPriority("bulk", dscp.PriorityHigh) // the association takes its highest channel
	fmt.Println("data channels:", m.DataCodePoint())

	err = m.SetKindPriority(dscp.KindVideo, dscp.Priority(9))
	fmt.Println(errors.Is(err, dscp.ErrInvalidOption))

	var none *dscp.Marker // what Factory.DSCP returns without WithDSCP
	fmt.Println(errors.Is(none.SetKindPriority(dscp.KindAudio, dscp.PriorityLow), dscp.ErrNoMarker))
	// Output:
	// data channels: AF11 handshakes: DF
	// data channels: AF21
	// true
	// true
}

// Parse classifies a datagram the way the socket wrapper does before it
// marks it (RFC 7983 demultiplexing).
func ExampleParse() {
	rtp := []byte{0x80, 111, 0, 1, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78}
	d := dscp.Parse(rtp)
	fmt.Println(d.Class, d.SSRC == 0x12345678)
	// Output: rtp true
}
