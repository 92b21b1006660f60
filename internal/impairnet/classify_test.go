package impairnet

import (
	"encoding/binary"
	"slices"
	"testing"
)

// rtpPkt builds an RTP packet (12-byte header, payload of n bytes), as it
// looks on the wire for SRTP too: the header is not encrypted.
func rtpPkt(ssrc uint32, seq uint16, n int) []byte {
	b := make([]byte, rtpHeaderLen+n)
	b[0] = 0x80 // V=2
	b[1] = 111  // PT
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], 123456)
	binary.BigEndian.PutUint32(b[8:], ssrc)

	return b
}

// rtcpPkt builds an RTCP packet of type pt from sender ssrc.
func rtcpPkt(pt byte, ssrc uint32) []byte {
	b := make([]byte, 28)
	b[0] = 0x80
	b[1] = pt
	binary.BigEndian.PutUint16(b[2:], 6)
	binary.BigEndian.PutUint32(b[4:], ssrc)

	return b
}

func TestClassify(t *testing.T) {
	marked := rtpPkt(1, 2, 10)
	marked[1] = 0x80 | 96 // marker + PT 96 = 224: still RTP
	for _, tc := range []struct {
		name string
		pkt  []byte
		want Class
	}{
		{"empty", nil, ClassUnknown},
		{"stun binding request", []byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42}, ClassSTUN},
		{"stun first byte 3", []byte{3, 0}, ClassSTUN},
		{"first byte 4", []byte{4, 0}, ClassUnknown},
		{"zrtp", []byte{16, 0}, ClassZRTP},
		{"dtls handshake", []byte{22, 0xfe, 0xfd}, ClassDTLS},
		{"dtls application data", []byte{23, 0xfe, 0xfd}, ClassDTLS},
		{"dtls upper bound", []byte{63}, ClassDTLS},
		{"turn channel data", []byte{0x40, 0x00, 0x00, 0x04}, ClassTURN},
		{"first byte 80", []byte{80}, ClassUnknown},
		{"first byte 127", []byte{127, 0}, ClassUnknown},
		{"rtp", rtpPkt(0x11223344, 7, 100), ClassRTP},
		{"rtp with marker", marked, ClassRTP},
		{"rtp header only", rtpPkt(1, 1, 0), ClassRTP},
		{"rtp too short", rtpPkt(1, 1, 0)[:11], ClassUnknown},
		{"rtcp sr", rtcpPkt(200, 5), ClassRTCP},
		{"rtcp rr", rtcpPkt(201, 5), ClassRTCP},
		{"rtcp lower bound 192", rtcpPkt(192, 5), ClassRTCP},
		{"rtcp upper bound 223", rtcpPkt(223, 5), ClassRTCP},
		{"byte1 191 is rtp (PT 63 + marker)", func() []byte { p := rtpPkt(1, 1, 4); p[1] = 191; return p }(), ClassRTP},
		{"rtcp too short", rtcpPkt(200, 5)[:7], ClassUnknown},
		{"first byte 191", func() []byte { p := rtpPkt(1, 1, 4); p[0] = 191; return p }(), ClassRTP},
		{"first byte 192", func() []byte { p := rtpPkt(1, 1, 4); p[0] = 192; return p }(), ClassUnknown},
	} {
		if got := Classify(tc.pkt); got != tc.want {
			t.Errorf("%s: Classify = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !IsRTP(rtpPkt(1, 1, 1)) || IsRTP(rtcpPkt(200, 1)) || !IsRTCP(rtcpPkt(200, 1)) || IsRTCP(rtpPkt(1, 1, 1)) {
		t.Error("IsRTP/IsRTCP disagree with Classify")
	}
}

func TestParse(t *testing.T) {
	p := rtpPkt(0xdeadbeef, 0xfffe, 20)
	p[1] |= 0x80
	got := Parse(p)
	want := Info{Class: ClassRTP, SSRC: 0xdeadbeef, Seq: 0xfffe, Timestamp: 123456, PayloadType: 111, Marker: true}
	if got != want {
		t.Errorf("Parse(rtp) = %+v, want %+v", got, want)
	}
	got = Parse(rtcpPkt(201, 0x01020304))
	want = Info{Class: ClassRTCP, SSRC: 0x01020304, PayloadType: 201}
	if got != want {
		t.Errorf("Parse(rtcp) = %+v, want %+v", got, want)
	}
	if got := Parse([]byte{22, 1, 2}); got != (Info{Class: ClassDTLS}) {
		t.Errorf("Parse(dtls) = %+v", got)
	}
	for _, c := range Classes() {
		if c.String() == "" || c.String() == "invalid" {
			t.Errorf("class %d has no name", c)
		}
	}
}

// feed runs pkts through the drop decision of n and returns which were
// dropped (by index).
func feed(n *Net, pkts [][]byte) []int {
	var dropped []int
	for i, p := range pkts {
		if drop, _, _ := n.decide(p, Parse(p)); drop {
			dropped = append(dropped, i)
		}
	}

	return dropped
}

func TestDropRTPModLimit(t *testing.T) {
	const x, y = 0xAAAA0001, 0xBBBB0002
	n, err := New(WithDropRTP(x, SeqMod(10, 3), 20))
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for i := range 500 {
		pkts = append(pkts, rtpPkt(x, uint16(i), 50), rtpPkt(y, uint16(i), 50), rtcpPkt(200, x))
	}
	feed(n, pkts)

	var want []uint16
	for s := uint16(3); len(want) < 20; s += 10 {
		want = append(want, s)
	}
	if got := n.Dropped(x); !slices.Equal(got, want) {
		t.Fatalf("Dropped(x) = %v, want %v", got, want)
	}
	if got := n.Dropped(y); got != nil {
		t.Fatalf("Dropped(y) = %v, want none", got)
	}

	// A retransmission (same SSRC and seq) of a dropped packet is dropped
	// again without consuming the limit; one of a passed packet passes.
	if d := feed(n, [][]byte{rtpPkt(x, 13, 50), rtpPkt(x, 14, 50), rtpPkt(x, 203, 50)}); !slices.Equal(d, []int{0}) {
		t.Fatalf("retransmissions dropped = %v, want [0]", d)
	}
	if got := n.Dropped(x); !slices.Equal(got, want) {
		t.Fatalf("Dropped(x) after retransmission = %v, want %v", got, want)
	}
	st := n.Stats()
	if got := st.BySSRC[x].Dropped; got != (Counter{Packets: 21, Bytes: 21 * 62}) {
		t.Errorf("BySSRC[x].Dropped = %+v", got)
	}
	if got := st.ByClass[ClassRTP].Dropped.Packets; got != 21 {
		t.Errorf("ByClass[rtp].Dropped = %d, want 21", got)
	}
	if got := st.ByClass[ClassRTCP].Dropped.Packets; got != 0 {
		t.Errorf("ByClass[rtcp].Dropped = %d, want 0", got)
	}
	if got := n.DroppedSSRCs(); !slices.Equal(got, []uint32{x}) {
		t.Errorf("DroppedSSRCs = %v", got)
	}
}

func TestDropSeqsAcrossWrap(t *testing.T) {
	const x = 42
	n, err := New(WithDropSeqs(0, 65535, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for s := uint16(65530); s != 6; s++ {
		pkts = append(pkts, rtpPkt(x, s, 1))
	}
	feed(n, pkts)
	if got := n.Dropped(x); !slices.Equal(got, []uint16{65535, 0, 1}) {
		t.Fatalf("Dropped = %v", got)
	}
}

func TestDropPredicatesAndOrder(t *testing.T) {
	const x, y = 7, 8
	n, err := New(
		WithDrop(MatchRTP(y, nil)),      // all of y
		WithDropRTP(0, SeqMod(2, 0), 3), // first 3 even seqs of any SSRC not dropped above
		WithDrop(MatchClass(ClassRTCP)), // all RTCP
		WithDrop(func([]byte) bool { return false }),
	)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for i := range 10 {
		pkts = append(pkts, rtpPkt(y, uint16(i), 1), rtpPkt(x, uint16(i), 1))
	}
	pkts = append(pkts, rtcpPkt(201, x), []byte{0, 1, 0, 0}, []byte{22, 0xfe, 0xfd})
	feed(n, pkts)
	if got := n.Dropped(y); len(got) != 10 {
		t.Errorf("Dropped(y) = %v, want all 10", got)
	}
	if got := n.Dropped(x); !slices.Equal(got, []uint16{0, 2, 4}) {
		t.Errorf("Dropped(x) = %v, want [0 2 4] (rule order: y consumed no limit)", got)
	}
	st := n.Stats()
	if st.ByClass[ClassRTCP].Dropped.Packets != 1 || st.ByClass[ClassSTUN].Dropped.Packets != 0 ||
		st.ByClass[ClassDTLS].Dropped.Packets != 0 {
		t.Errorf("class drops = %+v", st.ByClass)
	}

	n.ClearDrops()
	if d := feed(n, [][]byte{rtpPkt(y, 100, 1), rtcpPkt(200, 1)}); d != nil {
		t.Errorf("after ClearDrops dropped %v", d)
	}
	n.AddDrop(MatchRTP(x, SeqIn(100)))
	n.AddDropRTP(y, nil, 1)
	if d := feed(n, [][]byte{rtpPkt(x, 100, 1), rtpPkt(x, 101, 1), rtpPkt(y, 200, 1), rtpPkt(y, 201, 1)}); !slices.Equal(d, []int{0, 2}) {
		t.Errorf("after AddDrop dropped %v, want [0 2]", d)
	}
}
