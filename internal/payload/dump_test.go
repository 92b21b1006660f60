package payload

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// The RTP dumps in testdata are made by testdata/gen.sh: ffmpeg encodes,
// TestWriteDumps packetizes with pion's payloaders, ffprobe writes the
// expectations. TestDumps checks the parser against ffprobe, frame by frame.

var dumpsFrom = flag.String("dumps-from", "", "encoder output directory; makes TestWriteDumps rewrite testdata/*.rtpdump (see testdata/gen.sh)")

// Dump stream parameters: 15 fps on the 90 kHz video clock, sequence
// numbers that wrap after 16 packets and timestamps that wrap at frame 10.
const (
	dumpMTU       = 1200
	dumpClockRate = 90000
	dumpFPS       = 15
	dumpTSStep    = dumpClockRate / dumpFPS
	dumpFirstSeq  = 65520
	dumpFirstTS   = 1<<32 - 10*dumpTSStep
	dumpSSRC      = 0x5eed0001
	dumpPT        = 96
	dumpFrames    = 30
	dumpKeyFrames = 4
)

type dumpSpec struct {
	name, ext, fourcc string
	codec             Codec
	payloader         func() rtp.Payloader
}

// dumpSpecs configure the payloaders as pion/webrtc v4's mediaengine.go
// does, except for a fixed initial VP9 picture ID (pion picks a random one)
// chosen to wrap during the stream.
var dumpSpecs = []dumpSpec{
	{"vp8", "ivf", "VP80", CodecVP8, func() rtp.Payloader { return &codecs.VP8Payloader{EnablePictureID: true} }},
	{"vp9", "ivf", "VP90", CodecVP9, func() rtp.Payloader {
		return &codecs.VP9Payloader{InitialPictureIDFn: func() uint16 { return 0x7ff0 }}
	}},
	{"h264", "264", "", CodecH264, func() rtp.Payloader { return &codecs.H264Payloader{} }},
	{"av1", "ivf", "AV01", CodecAV1, func() rtp.Payloader { return &codecs.AV1Payloader{} }},
}

// dumpPacket is one packet of an rtpdump file.
type dumpPacket struct {
	offsetMs uint32 // since the start of the recording
	raw      []byte // the whole RTP packet
	rtp.Packet
}

// rtpdump format (rtptools rtpdump.h): a text line "#!rtpplay1.0
// address/port\n", a 16-byte RD_hdr_t (start time sec/usec, source
// address, port, padding), then per packet an 8-byte RD_packet_t (length
// including itself, RTP packet length, offset in ms) and the packet. All
// fields are big-endian.
const rtpdumpMagic = "#!rtpplay1.0 127.0.0.1/5004\n"

func writeRTPDump(path string, pkts []dumpPacket) error {
	var b bytes.Buffer
	b.WriteString(rtpdumpMagic)
	hdr := make([]byte, 16)
	binary.BigEndian.PutUint32(hdr[8:], 0x7f000001)
	binary.BigEndian.PutUint16(hdr[12:], 5004)
	b.Write(hdr)
	for _, p := range pkts {
		var ph [8]byte
		binary.BigEndian.PutUint16(ph[0:], uint16(len(p.raw)+8))
		binary.BigEndian.PutUint16(ph[2:], uint16(len(p.raw)))
		binary.BigEndian.PutUint32(ph[4:], p.offsetMs)
		b.Write(ph[:])
		b.Write(p.raw)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func readRTPDump(tb testing.TB, path string) []dumpPacket {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("#!rtpplay1.0 ")) {
		tb.Fatalf("%s: not an rtpdump file", path)
	}
	nl := bytes.IndexByte(b, '\n')
	b = b[nl+1+16:]
	var pkts []dumpPacket
	for len(b) > 0 {
		if len(b) < 8 {
			tb.Fatalf("%s: truncated record header", path)
		}
		n, plen := int(binary.BigEndian.Uint16(b)), int(binary.BigEndian.Uint16(b[2:]))
		if n != plen+8 || n > len(b) {
			tb.Fatalf("%s: record %d: length %d, packet length %d", path, len(pkts), n, plen)
		}
		p := dumpPacket{offsetMs: binary.BigEndian.Uint32(b[4:]), raw: b[8:n]}
		if err := p.Unmarshal(p.raw); err != nil {
			tb.Fatalf("%s: record %d: %v", path, len(pkts), err)
		}
		pkts = append(pkts, p)
		b = b[n:]
	}
	return pkts
}

// probeFrame is one frame as ffprobe -show_frames reports it.
type probeFrame struct {
	KeyFrame int `json:"key_frame"` //nolint:tagliatelle // ffprobe's name
	Width    int `json:"width"`
	Height   int `json:"height"`
	PktSize  int `json:"pkt_size,string"` //nolint:tagliatelle // ffprobe's name
}

func readProbe(tb testing.TB, path string) []probeFrame {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var v struct {
		Frames []probeFrame `json:"frames"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return v.Frames
}

// encodedFrames reads the frames of one encoder output file: IVF frames,
// or H.264 access units (split at the delimiters x264 was asked for) as
// Annex B byte streams, which is what pion's H.264 payloader takes.
func encodedFrames(t *testing.T, s dumpSpec, path string) [][]byte {
	t.Helper()
	if s.ext == "ivf" {
		return readIVF(t, path, s.fourcc)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var aus [][]byte
	for _, nal := range splitAnnexB(b) {
		if nal[0]&nalTypeMask == nalAUD {
			aus = append(aus, nil)
		}
		if len(aus) == 0 {
			t.Fatalf("%s: no access unit delimiter first", path)
		}
		aus[len(aus)-1] = append(aus[len(aus)-1], cat([]byte{0, 0, 0, 1}, nal)...)
	}
	return aus
}

// writeJoined writes the frames as one file for ffprobe: an IVF file with
// the first segment's header and consecutive frame numbers, or the
// concatenated Annex B stream.
func writeJoined(path string, s dumpSpec, firstSegment []byte, frames [][]byte) error {
	var b bytes.Buffer
	if s.ext == "ivf" {
		hdr := bytes.Clone(firstSegment[:binary.LittleEndian.Uint16(firstSegment[6:8])])
		binary.LittleEndian.PutUint32(hdr[24:], uint32(len(frames)))
		b.Write(hdr)
		for i, f := range frames {
			var fh [12]byte
			binary.LittleEndian.PutUint32(fh[0:], uint32(len(f)))
			binary.LittleEndian.PutUint64(fh[4:], uint64(i))
			b.Write(fh[:])
			b.Write(f)
		}
	} else {
		for _, f := range frames {
			b.Write(f)
		}
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func TestWriteDumps(t *testing.T) {
	if *dumpsFrom == "" {
		t.Skip("run testdata/gen.sh to regenerate the dumps")
	}
	for _, s := range dumpSpecs {
		var frames [][]byte
		var first []byte
		for i, seg := range []string{"a", "b"} {
			path := filepath.Join(*dumpsFrom, fmt.Sprintf("%s-%s.%s", s.name, seg, s.ext))
			if i == 0 {
				var err error
				if first, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
			}
			frames = append(frames, encodedFrames(t, s, path)...)
		}
		if err := writeJoined(filepath.Join(*dumpsFrom, s.name+"."+s.ext), s, first, frames); err != nil {
			t.Fatal(err)
		}
		pk := rtp.NewPacketizerWithOptions(dumpMTU, s.payloader(), rtp.NewFixedSequencer(dumpFirstSeq), dumpClockRate,
			rtp.WithSSRC(dumpSSRC), rtp.WithPayloadType(dumpPT), rtp.WithTimestamp(dumpFirstTS))
		var pkts []dumpPacket
		for i, f := range frames {
			for _, p := range pk.Packetize(f, dumpTSStep) {
				raw, err := p.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				pkts = append(pkts, dumpPacket{offsetMs: uint32(i * 1000 / dumpFPS), raw: raw})
			}
		}
		if err := writeRTPDump(filepath.Join("testdata", s.name+".rtpdump"), pkts); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d frames, %d packets", s.name, len(frames), len(pkts))
	}
}

// dumpFrame is what the parser made of the packets of one timestamp.
type dumpFrame struct {
	ts              uint32
	packets         int
	key, hasSize    bool
	width, height   uint32
	mediaBytes      int
	firstMayStart   bool
	firstStart      bool
	laterStart      bool // a packet other than the first claimed Start
	markerLast      bool
	markerElsewhere bool
	invalid         int
}

// parseDump runs a Parser over a dump and groups its packets by timestamp;
// the dumps hold each frame's packets consecutively.
func parseDump(c Codec, pkts []dumpPacket) []dumpFrame {
	p := NewParser(c)
	var frames []dumpFrame
	for i, pkt := range pkts {
		f := p.Parse(pkt.Payload)
		if i == 0 || pkt.Timestamp != frames[len(frames)-1].ts {
			frames = append(frames, dumpFrame{ts: pkt.Timestamp, firstMayStart: f.MayStart, firstStart: f.Start})
		} else if f.Start {
			frames[len(frames)-1].laterStart = true
		}
		d := &frames[len(frames)-1]
		d.packets++
		d.key = d.key || f.Key
		if f.HasSize {
			d.hasSize, d.width, d.height = true, f.Width, f.Height
		}
		d.mediaBytes += f.MediaBytes
		if !f.Valid {
			d.invalid++
		}
		last := i == len(pkts)-1 || pkts[i+1].Timestamp != pkt.Timestamp
		if pkt.Marker {
			if last {
				d.markerLast = true
			} else {
				d.markerElsewhere = true
			}
		}
	}
	return frames
}

func TestDumps(t *testing.T) {
	for _, s := range dumpSpecs {
		t.Run(s.name, func(t *testing.T) {
			pkts := readRTPDump(t, filepath.Join("testdata", s.name+".rtpdump"))
			probe := readProbe(t, filepath.Join("testdata", s.name+".ffprobe.json"))
			if len(probe) != dumpFrames {
				t.Fatalf("ffprobe lists %d frames, gen.sh makes %d", len(probe), dumpFrames)
			}
			frames := parseDump(s.codec, pkts)
			if len(frames) != len(probe) {
				t.Fatalf("%d timestamps in the dump, ffprobe decoded %d frames", len(frames), len(probe))
			}
			keys, multi := 0, 0
			for i, f := range frames {
				want := probe[i]
				if f.invalid > 0 {
					t.Errorf("frame %d: %d of %d packets did not parse", i, f.invalid, f.packets)
				}
				if f.key != (want.KeyFrame == 1) {
					t.Errorf("frame %d: key %v, ffprobe key_frame=%d", i, f.key, want.KeyFrame)
				}
				if f.key {
					keys++
					if !f.hasSize || f.width != uint32(want.Width) || f.height != uint32(want.Height) {
						t.Errorf("frame %d: size %dx%d (%v), ffprobe %dx%d", i, f.width, f.height, f.hasSize, want.Width, want.Height)
					}
				} else if f.hasSize {
					t.Errorf("frame %d: inter frame carries a size %dx%d", i, f.width, f.height)
				}
				if !f.firstMayStart || f.laterStart {
					t.Errorf("frame %d: first packet MayStart=%v, a later packet Start=%v", i, f.firstMayStart, f.laterStart)
				}
				// Explicit start bits on every frame; AV1's N=1 only on the
				// first packet of each coded video sequence, i.e. where
				// the sequence header and key frame are.
				switch s.codec {
				case CodecVP8, CodecVP9:
					if !f.firstStart {
						t.Errorf("frame %d: first packet not Start", i)
					}
				case CodecAV1:
					if f.firstStart != f.key {
						t.Errorf("frame %d: N=%v on a frame with key=%v", i, f.firstStart, f.key)
					}
				case CodecH264:
					if f.firstStart {
						t.Errorf("frame %d: Start without an access unit delimiter", i)
					}
				case CodecUnknown: // every dump names its codec
				}
				if !f.markerLast || f.markerElsewhere {
					t.Errorf("frame %d: marker on the last packet %v, elsewhere %v", i, f.markerLast, f.markerElsewhere)
				}
				// IVF frames are what the VP8/VP9 payloaders split, so the
				// media bytes add up to ffprobe's packet size.
				if (s.codec == CodecVP8 || s.codec == CodecVP9) && f.mediaBytes != want.PktSize {
					t.Errorf("frame %d: %d media bytes, ffprobe pkt_size %d", i, f.mediaBytes, want.PktSize)
				}
				if f.packets > 1 {
					multi++
				}
			}
			if keys != dumpKeyFrames {
				t.Errorf("%d key frames, want %d", keys, dumpKeyFrames)
			}
			// The dumps must exercise what the collectors tests rely on.
			if multi == 0 || multi == len(frames) {
				t.Errorf("%d of %d frames span several packets; want some but not all", multi, len(frames))
			}
			if pkts[0].SequenceNumber <= pkts[len(pkts)-1].SequenceNumber || pkts[0].Timestamp <= pkts[len(pkts)-1].Timestamp {
				t.Errorf("sequence numbers %d..%d, timestamps %d..%d: no wrap", pkts[0].SequenceNumber,
					pkts[len(pkts)-1].SequenceNumber, pkts[0].Timestamp, pkts[len(pkts)-1].Timestamp)
			}
		})
	}
}
