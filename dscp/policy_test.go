package dscp

import (
	"errors"
	"strings"
	"testing"
)

// rfc8837Table1 is Table 1 of RFC 8837 §5 transcribed by hand. Where a cell
// has two values the first is for the more important packets.
var rfc8837Table1 = []struct {
	flow, priority    string
	important, others uint8
}{
	{"audio", "very-low", 1, 1},
	{"audio", "low", 0, 0},
	{"audio", "medium", 46, 46},
	{"audio", "high", 46, 46},
	{"interactive-video", "very-low", 1, 1},
	{"interactive-video", "low", 0, 0},
	{"interactive-video", "medium", 36, 38},
	{"interactive-video", "high", 34, 36},
	{"non-interactive-video", "very-low", 1, 1},
	{"non-interactive-video", "low", 0, 0},
	{"non-interactive-video", "medium", 28, 30},
	{"non-interactive-video", "high", 26, 28},
	{"data", "very-low", 1, 1},
	{"data", "low", 0, 0},
	{"data", "medium", 10, 10},
	{"data", "high", 18, 18},
}

func TestLookupMatchesRFC8837Table1(t *testing.T) {
	seen := map[[2]string]bool{}
	for _, row := range rfc8837Table1 {
		f, err := ParseFlowType(row.flow)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePriority(row.priority)
		if err != nil {
			t.Fatal(err)
		}
		cell, err := Lookup(f, p)
		if err != nil {
			t.Fatalf("Lookup(%s, %s): %v", row.flow, row.priority, err)
		}
		if got := uint8(cell.For(true)); got != row.important {
			t.Errorf("%s/%s important = %d, RFC says %d", row.flow, row.priority, got, row.important)
		}
		if got := uint8(cell.For(false)); got != row.others {
			t.Errorf("%s/%s other = %d, RFC says %d", row.flow, row.priority, got, row.others)
		}
		seen[[2]string{row.flow, row.priority}] = true
	}
	if len(seen) != 16 {
		t.Fatalf("transcription covers %d cells, want 16", len(seen))
	}
}

func TestVeryLowIsLENotCS1(t *testing.T) {
	for f := FlowAudio; f <= FlowData; f++ {
		cell, err := Lookup(f, PriorityVeryLow)
		if err != nil {
			t.Fatal(err)
		}
		if cell.Important == 8 || cell.Other == 8 {
			t.Errorf("%s very-low uses CS1; RFC 8837 says LE", f)
		}
	}
}

func TestLookupOutOfRange(t *testing.T) {
	if _, err := Lookup(FlowType(4), PriorityHigh); !errors.Is(err, ErrInvalidFlowType) {
		t.Errorf("flow 4: err = %v", err)
	}
	if _, err := Lookup(FlowAudio, Priority(4)); !errors.Is(err, ErrInvalidPriority) {
		t.Errorf("priority 4: err = %v", err)
	}
}

// Values from RFC 2474 (CS), RFC 2597 (AFxy = 8x+2y), RFC 3246 (EF),
// RFC 5865 (VA) and RFC 8622 (LE).
var namedCodePoints = []struct {
	name  string
	value uint8
	cp    CodePoint
}{
	{"DF", 0, DF},
	{"LE", 1, LE},
	{"CS1", 8, CS1},
	{"AF11", 10, AF11},
	{"AF12", 12, AF12},
	{"AF13", 14, AF13},
	{"CS2", 16, CS2},
	{"AF21", 18, AF21},
	{"AF22", 20, AF22},
	{"AF23", 22, AF23},
	{"CS3", 24, CS3},
	{"AF31", 26, AF31},
	{"AF32", 28, AF32},
	{"AF33", 30, AF33},
	{"CS4", 32, CS4},
	{"AF41", 34, AF41},
	{"AF42", 36, AF42},
	{"AF43", 38, AF43},
	{"CS5", 40, CS5},
	{"VA", 44, VA},
	{"EF", 46, EF},
	{"CS6", 48, CS6},
	{"CS7", 56, CS7},
}

func TestCodePointNames(t *testing.T) {
	for _, n := range namedCodePoints {
		if uint8(n.cp) != n.value {
			t.Errorf("%s = %d, want %d", n.name, n.cp, n.value)
		}
		if got := CodePoint(n.value).String(); got != n.name {
			t.Errorf("CodePoint(%d).String() = %q, want %q", n.value, got, n.name)
		}
		for _, in := range []string{n.name, strings.ToLower(n.name), " " + n.name + "\t"} {
			got, err := ParseCodePoint(in)
			if err != nil || uint8(got) != n.value {
				t.Errorf("ParseCodePoint(%q) = %d, %v; want %d", in, got, err, n.value)
			}
		}
	}
	for in, want := range map[string]uint8{"cs0": 0, "0": 0, "5": 5, "46": 46, "63": 63, " 7 ": 7} { //nolint:gocritic // " 7 ": surrounding spaces are trimmed
		got, err := ParseCodePoint(in)
		if err != nil || uint8(got) != want {
			t.Errorf("ParseCodePoint(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for c, want := range map[CodePoint]string{5: "5", 63: "63", 64: "invalid(64)", 70: "invalid(70)"} {
		if got := c.String(); got != want {
			t.Errorf("CodePoint(%d).String() = %q, want %q", uint8(c), got, want)
		}
	}
}

func TestCodePointRoundTrip(t *testing.T) {
	for c := CodePoint(0); c <= 63; c++ {
		if !c.Valid() {
			t.Errorf("%d not valid", c)
		}
		got, err := ParseCodePoint(c.String())
		if err != nil || got != c {
			t.Errorf("ParseCodePoint(%q) = %v, %v; want %d", c.String(), got, err, uint8(c))
		}
	}
	if CodePoint(64).Valid() {
		t.Error("64 valid")
	}
}

func TestTOS(t *testing.T) {
	for _, tc := range []struct {
		cp   CodePoint
		ecn  uint8
		want uint8
	}{
		{EF, 0, 0xb8},   // 101110 00
		{AF41, 1, 0x89}, // 100010 01
		{LE, 2, 0x06},   // 000001 10
		{CS7, 3, 0xe3},  // 111000 11
		{EF, 0xff, 0xbb},
	} {
		if got := tc.cp.TOS(tc.ecn); got != tc.want {
			t.Errorf("%s.TOS(%d) = %#x, want %#x", tc.cp, tc.ecn, got, tc.want)
		}
	}
}

func TestFlowTypeAndPriorityNames(t *testing.T) {
	flows := map[string]FlowType{
		"audio": FlowAudio, "interactive-video": FlowInteractiveVideo,
		"non-interactive-video": FlowNonInteractiveVideo, "data": FlowData,
	}
	for name, f := range flows {
		if f.String() != name {
			t.Errorf("%d.String() = %q, want %q", f, f.String(), name)
		}
		for _, in := range []string{name, strings.ToUpper(name)} {
			if got, err := ParseFlowType(in); err != nil || got != f {
				t.Errorf("ParseFlowType(%q) = %v, %v", in, got, err)
			}
		}
	}
	prios := map[string]Priority{"very-low": PriorityVeryLow, "low": PriorityLow, "medium": PriorityMedium, "high": PriorityHigh}
	for name, p := range prios {
		if p.String() != name {
			t.Errorf("%d.String() = %q, want %q", p, p.String(), name)
		}
		for _, in := range []string{name, strings.ToUpper(name)} {
			if got, err := ParsePriority(in); err != nil || got != p {
				t.Errorf("ParsePriority(%q) = %v, %v", in, got, err)
			}
		}
	}
	for _, in := range []string{"verylow", "VERY_LOW", "Very-Low"} {
		if got, err := ParsePriority(in); err != nil || got != PriorityVeryLow {
			t.Errorf("ParsePriority(%q) = %v, %v", in, got, err)
		}
	}
	if PriorityVeryLow >= PriorityLow || PriorityLow >= PriorityMedium || PriorityMedium >= PriorityHigh {
		t.Error("priorities not ordered by importance")
	}
}

func TestParseInvalid(t *testing.T) {
	bad := []string{"", "AF44", "64", "-1", "+1", "ef1", "high!", "256", "0x2e", "audio video"}
	for _, in := range bad {
		_, err := ParseCodePoint(in)
		if !errors.Is(err, ErrInvalidCodePoint) {
			t.Errorf("ParseCodePoint(%q) err = %v", in, err)
		} else if !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseCodePoint(%q) err %q does not quote the input", in, err)
		}
		if _, err := ParseFlowType(in); !errors.Is(err, ErrInvalidFlowType) {
			t.Errorf("ParseFlowType(%q) err = %v", in, err)
		}
		if _, err := ParsePriority(in); !errors.Is(err, ErrInvalidPriority) {
			t.Errorf("ParsePriority(%q) err = %v", in, err)
		}
	}
}
