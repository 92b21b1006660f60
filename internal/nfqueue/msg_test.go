package nfqueue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// The bind request as libnetfilter_queue's nfq_create_queue sends it:
// nlmsghdr(len 28, type 0x0302, flags REQUEST|ACK, seq 5), nfgenmsg
// (AF_UNSPEC, v0, res_id 7 big-endian), NFQA_CFG_CMD {BIND, pad, pf 0}.
func TestBindMessage(t *testing.T) {
	got := bindMsg(5, 7)
	want := binary.NativeEndian.AppendUint32(nil, 28)
	want = binary.NativeEndian.AppendUint16(want, 0x0302)
	want = binary.NativeEndian.AppendUint16(want, 0x5)
	want = binary.NativeEndian.AppendUint32(want, 5)
	want = binary.NativeEndian.AppendUint32(want, 0)
	want = append(want, 0, 0, 0, 7)
	want = binary.NativeEndian.AppendUint16(want, 8)
	want = binary.NativeEndian.AppendUint16(want, 1)
	want = append(want, 1, 0, 0, 0)
	if !bytes.Equal(got, want) {
		t.Fatalf("bind message\n got %x\nwant %x", got, want)
	}
	if seqOf(got) != 5 {
		t.Fatalf("seq %d", seqOf(got))
	}
}

// NFQA_CFG_PARAMS is a packed 5-byte struct: attribute length 9, padded to
// 12; then NFQA_CFG_QUEUE_MAXLEN.
func TestParamsMessage(t *testing.T) {
	b := paramsMsg(1, 7, 128, 4096)
	attrs := b[20:]
	if l := binary.NativeEndian.Uint16(attrs); l != 9 {
		t.Fatalf("params length %d", l)
	}
	if !bytes.Equal(attrs[4:9], []byte{0, 0, 0, 128, copyPacket}) || !bytes.Equal(attrs[9:12], []byte{0, 0, 0}) {
		t.Fatalf("params %x", attrs[:12])
	}
	if typ := binary.NativeEndian.Uint16(attrs[14:]); typ != attrCfgQueueLen || binary.BigEndian.Uint32(attrs[16:]) != 4096 {
		t.Fatalf("maxlen attribute %x", attrs[12:])
	}
	if int(binary.NativeEndian.Uint32(b)) != len(b) || len(b) != 20+12+8 {
		t.Fatalf("length %d of %d", binary.NativeEndian.Uint32(b), len(b))
	}
}

func TestVerdictMessage(t *testing.T) {
	b := verdictMsg(7, 0x01020304, Accept)
	if binary.NativeEndian.Uint16(b[4:]) != 0x0301 || binary.NativeEndian.Uint16(b[6:]) != nlmFRequest {
		t.Fatalf("header %x", b[:16])
	}
	if !bytes.Equal(b[16:20], []byte{0, 0, 0, 7}) {
		t.Fatalf("nfgenmsg %x", b[16:20])
	}
	if binary.NativeEndian.Uint16(b[20:]) != 12 || binary.NativeEndian.Uint16(b[22:]) != attrVerdictHdr ||
		!bytes.Equal(b[24:], []byte{0, 0, 0, 1, 1, 2, 3, 4}) {
		t.Fatalf("verdict attribute %x", b[20:])
	}
}

// A kernel datagram with two packet messages, built by hand.
func TestParsePackets(t *testing.T) {
	pkt := func(id uint32, payload []byte) []byte {
		var a []byte
		hdr := binary.BigEndian.AppendUint32(nil, id)
		hdr = binary.BigEndian.AppendUint16(hdr, 0x0800)
		hdr = append(hdr, 4)
		a = appendAttr(a, attrPacketHdr, hdr)
		a = appendAttr(a, 5 /* NFQA_IFINDEX_INDEV */, []byte{1, 0, 0, 0})
		a = appendAttr(a, attrPayload|0x4000 /* NLA_F_NET_BYTEORDER, ignored */, payload)
		return message(msgPacket, 0, 0, 7, a)
	}
	dgram := append(pkt(9, []byte{0x45, 1, 2}), pkt(10, []byte{0x45, 4, 5, 6, 7})...)
	msgs, err := splitMessages(dgram)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	for i, want := range []Packet{
		{ID: 9, HWProtocol: 0x0800, Hook: 4, Payload: []byte{0x45, 1, 2}},
		{ID: 10, HWProtocol: 0x0800, Hook: 4, Payload: []byte{0x45, 4, 5, 6, 7}},
	} {
		if msgs[i].typ != msgType(msgPacket) {
			t.Fatalf("type %#x", msgs[i].typ)
		}
		p, err := parsePacket(msgs[i].body)
		if err != nil || p.ID != want.ID || p.HWProtocol != want.HWProtocol || p.Hook != want.Hook || !bytes.Equal(p.Payload, want.Payload) {
			t.Fatalf("packet %d: %+v, %v", i, p, err)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	longAttr := append([]byte{0, 0, 0, 7}, binary.NativeEndian.AppendUint16(nil, 40)...)
	longAttr = binary.NativeEndian.AppendUint16(longAttr, attrPacketHdr)
	for name, b := range map[string][]byte{
		"short":         {1, 2},
		"no header":     {0, 0, 0, 7},
		"attr too long": longAttr,
	} {
		if _, err := parsePacket(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := binary.NativeEndian.AppendUint32(nil, 100) // claims 100 bytes
	bad = append(bad, make([]byte, 12)...)
	if _, err := splitMessages(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("split: %v", err)
	}
}
