package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"sync"
)

// RecordingVersion is the value of "v" in every line a Recorder writes; a
// Playback refuses other versions.
const RecordingVersion = 1

// MaxRecordingLine is the longest line a Playback reads, in bytes.
const MaxRecordingLine = 64 << 20

// ErrCorruptRecording is wrapped by every error of Playback.Next about the
// content of a recording; the message names the line.
var ErrCorruptRecording = errors.New("report: corrupt recording")

// ErrInvalidReport is wrapped by the error of Recorder.Record for a report
// that cannot be written as JSON: a nil object, or a non-finite number
// (Validate reports those).
var ErrInvalidReport = errors.New("report: report cannot be recorded")

// ErrRecorderFailed is wrapped by every Record after one that could not
// write its line: the recording may hold part of a line and is not
// appended to any more.
var ErrRecorderFailed = errors.New("report: recorder failed")

// Recorder writes reports to an io.Writer as a recording: the first one in
// full, then each as a patch against the one before. It is safe for
// concurrent use; reports are recorded in the order Record is called.
//
// A recording is a sequence of reports as JSON Lines (UTF-8, one JSON
// object per line, each line ending in "\n"), written by a Recorder and read
// by a Playback. Each line is one of:
//
//	{"v":1,"timestamp":T,"report":R}
//	{"v":1,"timestamp":T,"patch":P}
//
// v is the format version, 1. timestamp is the largest timestamp of the
// report's objects (milliseconds since the Unix epoch) and is left out for
// an empty report; it lets a reader seek by time without rebuilding reports.
//
// A "report" line holds a full report R: a JSON object keyed by id whose
// values are the stats objects, the shape Report marshals to, with each
// object's members sorted by name. The first line of a recording is one.
//
// A "patch" line holds P, a JSON Merge Patch (RFC 7386) that turns the
// report of the line before it into this line's report: an id mapped to
// null is an object that left; an id not in the previous report maps to
// its whole object; for an object in both, P holds only the members whose
// value changed, with null for a member that became absent, and the same
// rule one level down inside records (perDscpPacketsSent, ...). An object
// that did not change at all is left out. Reports never hold null (absent
// members are left out), so null is unambiguous; a member whose value is
// null (in an UnknownStats, say) is recorded as absent.
//
// To read a recording in any language, keep one JSON value: set it to R on
// a "report" line and apply P to it with RFC 7386's MergePatch on a "patch"
// line; after each line it is that line's report. Blank lines are ignored.
// A Recorder's Reset makes its next line a full one again; a reader may
// start at any "report" line, and recordings may be concatenated.
type Recorder struct {
	mu   sync.Mutex
	w    io.Writer
	prev map[string]map[string]json.RawMessage // nil: the next line is full
	err  error
}

// NewRecorder returns a Recorder writing to w. Each Record makes one Write
// of one whole line; buffer w if it is slow, and flush it when done.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: w} }

// recordLine is the shape of a line; exactly one of Report and Patch is set.
type recordLine struct {
	V         int             `json:"v"`
	Timestamp *float64        `json:"timestamp,omitempty"`
	Report    json.RawMessage `json:"report,omitempty"`
	Patch     json.RawMessage `json:"patch,omitempty"`
}

// Record appends r to the recording. A report that cannot be marshalled
// (non-finite numbers; see Validate) is an error wrapping ErrInvalidReport
// and leaves the recording as it was; a failed write is an error, and every later Record returns
// one wrapping ErrRecorderFailed.
func (rec *Recorder) Record(r Report) error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.err != nil {
		return fmt.Errorf("%w: %v", ErrRecorderFailed, rec.err)
	}
	cur, err := canonical(r)
	if err != nil {
		return err
	}
	line := recordLine{V: RecordingVersion, Timestamp: latest(r)}
	if rec.prev == nil {
		full := make(map[string]json.RawMessage, len(cur))
		for id, o := range cur {
			if full[id], err = marshalMembers(o); err != nil {
				return err
			}
		}
		line.Report, err = json.Marshal(full)
	} else {
		var p map[string]json.RawMessage
		if p, err = patch(rec.prev, cur); err == nil {
			line.Patch, err = json.Marshal(p)
		}
	}
	if err != nil {
		return err
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if _, err := rec.w.Write(append(b, '\n')); err != nil {
		rec.err = err
		return fmt.Errorf("%w: %v", ErrRecorderFailed, err)
	}
	rec.prev = cur
	return nil
}

// Reset makes the next Record write a full report, so that a reader can
// start there (after rotating the file, say).
func (rec *Recorder) Reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.prev = nil
}

// latest is the largest timestamp of r's objects, nil for an empty or
// non-finite one.
func latest(r Report) *float64 {
	var t *float64
	for _, s := range r {
		if ts := s.StatsTimestamp(); !math.IsNaN(ts) && !math.IsInf(ts, 0) && (t == nil || ts > *t) {
			t = new(ts)
		}
	}
	return t
}

// canonical returns each object of r as its members' JSON, nulls left out.
func canonical(r Report) (map[string]map[string]json.RawMessage, error) {
	out := make(map[string]map[string]json.RawMessage, len(r))
	for id, s := range r {
		if s == nil {
			return nil, fmt.Errorf("%w: object %q is nil", ErrInvalidReport, id)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("%w: object %q: %v", ErrInvalidReport, id, err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%w: object %q is not a JSON object (%s)", ErrInvalidReport, id, b)
		}
		for k, v := range m {
			if isNull(v) {
				delete(m, k)
			}
		}
		out[id] = m
	}
	return out, nil
}

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

func isObject(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && v[0] == '{'
}

func marshalMembers(m map[string]json.RawMessage) (json.RawMessage, error) {
	b, err := json.Marshal(m)
	return json.RawMessage(b), err
}

var null = json.RawMessage("null") //nolint:gochecknoglobals // read-only

// patch returns the RFC 7386 merge patch from prev to cur.
func patch(prev, cur map[string]map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	p := map[string]json.RawMessage{}
	for id := range prev {
		if _, ok := cur[id]; !ok {
			p[id] = null
		}
	}
	for id, c := range cur {
		old, ok := prev[id]
		if !ok {
			b, err := marshalMembers(c)
			if err != nil {
				return nil, err
			}
			p[id] = b
			continue
		}
		d, err := diffMembers(old, c)
		if err != nil {
			return nil, err
		}
		if len(d) == 0 {
			continue
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		p[id] = b
	}
	return p, nil
}

// diffMembers is the merge patch from one object to another: changed
// members, nulls for members gone, recursing into values that are objects
// in both.
func diffMembers(prev, cur map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	d := map[string]json.RawMessage{}
	for k := range prev {
		if _, ok := cur[k]; !ok {
			d[k] = null
		}
	}
	for k, c := range cur {
		p, ok := prev[k]
		switch {
		case !ok:
			d[k] = c
		case bytes.Equal(p, c):
		case isObject(p) && isObject(c):
			var pm, cm map[string]json.RawMessage
			if err := json.Unmarshal(p, &pm); err != nil {
				return nil, err
			}
			if err := json.Unmarshal(c, &cm); err != nil {
				return nil, err
			}
			for ck, cv := range cm {
				if isNull(cv) {
					delete(cm, ck) // null means absent, also in records
				}
			}
			sub, err := diffMembers(pm, cm)
			if err != nil {
				return nil, err
			}
			if len(sub) == 0 {
				continue
			}
			b, err := json.Marshal(sub)
			if err != nil {
				return nil, err
			}
			d[k] = b
		default:
			d[k] = c
		}
	}
	return d, nil
}

// Playback reads a recording back, one full report per line.
type Playback struct {
	sc    *bufio.Scanner
	line  int
	state map[string]any // the current report as decoded JSON; nil before the first full line
	err   error
}

// NewPlayback returns a Playback reading the recording from r.
func NewPlayback(r io.Reader) *Playback {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxRecordingLine)
	return &Playback{sc: sc}
}

// Line returns the number (from 1) of the last line Next read.
func (p *Playback) Line() int { return p.line }

// Next returns the report of the next line, rebuilt in full: each object
// as the struct of its type, as Report.UnmarshalJSON makes them. It returns
// io.EOF after the last line. A line that is not valid JSON, not of this
// format, a patch before the first full report, or an object that does
// not load is an error wrapping ErrCorruptRecording that names the line;
// Playback stops there and returns the same error from then on.
func (p *Playback) Next() (Report, error) {
	if p.err != nil {
		return nil, p.err
	}
	for {
		if !p.sc.Scan() {
			p.err = io.EOF
			if err := p.sc.Err(); err != nil {
				p.err = fmt.Errorf("%w: line %d: %v", ErrCorruptRecording, p.line+1, err)
			}
			return nil, p.err
		}
		p.line++
		if len(bytes.TrimSpace(p.sc.Bytes())) > 0 {
			break
		}
	}
	r, err := p.apply(p.sc.Bytes())
	if err != nil {
		p.err = fmt.Errorf("%w: line %d: %v", ErrCorruptRecording, p.line, err)
		return nil, p.err
	}
	return r, nil
}

func (p *Playback) apply(data []byte) (Report, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var line map[string]any
	if err := dec.Decode(&line); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the line's JSON object")
	}
	if v, ok := line["v"].(json.Number); !ok || v.String() != "1" {
		return nil, fmt.Errorf("version %v, want %d", line["v"], RecordingVersion)
	}
	full, hasFull := line["report"]
	diff, hasPatch := line["patch"]
	switch {
	case hasFull == hasPatch:
		return nil, errors.New(`want exactly one of "report" and "patch"`)
	case hasFull:
		m, ok := full.(map[string]any)
		if !ok {
			return nil, fmt.Errorf(`"report" is %s, want an object`, jsonTypeOf(full))
		}
		p.state = mergePatch(nil, m).(map[string]any) //nolint:forcetypeassert // an object patch gives an object; drops nulls like any patch
	default:
		if p.state == nil {
			return nil, errors.New("patch before the first full report")
		}
		m, ok := diff.(map[string]any)
		if !ok {
			return nil, fmt.Errorf(`"patch" is %s, want an object`, jsonTypeOf(diff))
		}
		p.state = mergePatch(p.state, m).(map[string]any) //nolint:forcetypeassert // an object patch gives an object
	}
	r := make(Report, len(p.state))
	for id, v := range p.state {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("object %q is %s, want an object", id, jsonTypeOf(v))
		}
		s, err := statsFrom(o)
		if err != nil {
			return nil, fmt.Errorf("object %q: %v", id, err)
		}
		if u, ok := s.(*UnknownStats); ok {
			// Its members would share maps with the state kept for
			// the next line.
			for k, x := range u.Members {
				u.Members[k] = deepCopy(x)
			}
		}
		r[id] = s
	}
	return r, nil
}

// mergePatch is RFC 7386 MergePatch. It never modifies target or patch:
// maps it changes are copies, so reports already returned stay as they
// were.
func mergePatch(target any, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	out := maps.Clone(tm)
	for k, v := range pm {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = mergePatch(out[k], v)
	}
	return out
}

func deepCopy(x any) any {
	switch v := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, y := range v {
			m[k] = deepCopy(y)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, y := range v {
			s[i] = deepCopy(y)
		}
		return s
	}
	return x
}
