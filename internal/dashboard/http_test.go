package dashboard_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtcstats/rtcstats/internal/dashboard"
)

func do(t *testing.T, h http.Handler, method, target string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, bytes.NewReader(body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func reportJSON(t *testing.T, objs ...obj) []byte {
	t.Helper()
	top := map[string]obj{}
	for _, o := range objs {
		top[o["id"].(string)] = o
	}
	b, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func getState(t *testing.T, h http.Handler) dashboard.State {
	t.Helper()
	w := do(t, h, "GET", "/api/state", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/state: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var st dashboard.State
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatalf("state JSON: %v\n%s", err, w.Body.String())
	}
	return st
}

func TestPushAndState(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	in := func(ts float64, bytes int) obj {
		return base(ts, "inbound-rtp", "IT01V", obj{
			"ssrc": 7, "kind": "video", "trackIdentifier": "x",
			"bytesReceived": bytes, "googUnknownMember": 5,
		})
	}
	for _, b := range [][]byte{
		reportJSON(t, in(10000, 0), base(10000, "unknown-future-type", "U", obj{"foo": 1})),
		reportJSON(t, in(10500, 50000)),
	} {
		if w := do(t, d, "POST", "/api/push?peer=chrome%20tab", b); w.Code != http.StatusNoContent {
			t.Fatalf("push: %d %s", w.Code, w.Body.String())
		}
	}
	st := getState(t, d)
	if len(st.Peers) != 1 || st.Peers[0].Name != "chrome tab" || st.Peers[0].Source != "push" || st.Peers[0].Reports != 2 {
		t.Fatalf("peers %+v", st.Peers)
	}
	o := find(t, st, "chrome tab", "IT01V")
	// 50000 bytes in 0.5 s.
	wantValues(t, "bitrate", seriesOf(t, o, "bitrate", "payload"), 800000)
	if u := find(t, st, "chrome tab", "U"); !u.Gone || u.Type != "unknown-future-type" {
		t.Errorf("unknown object %+v", u)
	}
}

func TestPushRejectsBadInput(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	good := reportJSON(t, base(1, "codec", "C", obj{"mimeType": "audio/opus", "payloadType": 111, "clockRate": 48000, "transportId": "T"}))
	if w := do(t, d, "POST", "/api/push?peer=b", good); w.Code != http.StatusNoContent {
		t.Fatalf("good push: %d %s", w.Code, w.Body.String())
	}
	if err := d.AddPeer("polled", okGetter); err != nil {
		t.Fatal(err)
	}
	before := getState(t, d)
	for _, c := range []struct {
		name, target string
		body         []byte
		code         int
		msg          string
	}{
		{"no peer", "/api/push", good, 400, "peer"},
		{"control char in peer", "/api/push?peer=a%0Ab", good, 400, "control"},
		{"polled peer", "/api/push?peer=polled", good, 400, "polled"},
		{"truncated JSON", "/api/push?peer=b", []byte(`{"C":{`), 400, "getStats JSON"},
		{"empty body", "/api/push?peer=b", nil, 400, "getStats JSON"},
		{"null", "/api/push?peer=b", []byte(` null `), 400, "getStats JSON"},
		{"array", "/api/push?peer=b", []byte(`[1,2]`), 400, "getStats JSON"},
		{"not an object", "/api/push?peer=b", []byte(`{"C":5}`), 400, "not an object"},
		{"wrong member type", "/api/push?peer=b", []byte(`{"I":{"id":"I","type":"inbound-rtp","timestamp":1,"ssrc":1,"kind":"audio","packetsReceived":"many"}}`), 400, "packetsReceived"},
		{"trailing data", "/api/push?peer=b", append(append([]byte{}, good...), "{}"...), 400, "getStats JSON"},
		{"too large", "/api/push?peer=b", bytes.Repeat([]byte(" "), dashboard.MaxBodyBytes+1), 413, "larger"},
	} {
		w := do(t, d, "POST", c.target, c.body)
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.msg) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, w.Code, w.Body.String(), c.code, c.msg)
		}
	}
	after := getState(t, d)
	a, err := json.Marshal(after)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(before)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("state changed by rejected pushes:\nbefore %s\nafter  %s", b, a)
	}
}

// Any web site could make a user's browser post to 127.0.0.1: pushes from
// another origin are refused, the dashboard's own and non-browser ones pass.
func TestPushRefusesOtherOrigins(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		site, origin string
		code         int
	}{
		{"cross-site", "https://evil.example", http.StatusForbidden},
		{"same-site", "http://127.0.0.1:9999", http.StatusForbidden},
		{"same-origin", "http://example.com", http.StatusNoContent},
		{"", "", http.StatusNoContent}, // curl, Go
	} {
		req := httptest.NewRequestWithContext(t.Context(), "POST", "/api/push?peer="+c.site+"x", strings.NewReader("{}"))
		if c.site != "" {
			req.Header.Set("Sec-Fetch-Site", c.site)
			req.Header.Set("Origin", c.origin)
		}
		w := httptest.NewRecorder()
		d.ServeHTTP(w, req)
		if w.Code != c.code {
			t.Errorf("Sec-Fetch-Site %q: %d %s, want %d", c.site, w.Code, w.Body.String(), c.code)
		}
	}
	if n := len(d.State().Peers); n != 2 {
		t.Errorf("%d peers, want the 2 accepted", n)
	}
}

func TestRoutes(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, target string
		code           int
		ctype, has     string
	}{
		{"GET", "/", 200, "text/html", `src="app.js"`},
		{"GET", "/app.js", 200, "javascript", "'api/state'"},
		{"GET", "/style.css", 200, "text/css", ".card"},
		{"GET", "/api/state", 200, "application/json", `"peers":[]`},
		{"GET", "/api/push?peer=x", 405, "", ""},
		{"PUT", "/api/state", 405, "", ""},
		{"GET", "/nope", 404, "", ""},
		{"GET", "/static/app.js", 404, "", ""},
	} {
		w := do(t, d, c.method, c.target, nil)
		if w.Code != c.code || !strings.Contains(w.Header().Get("Content-Type"), c.ctype) || !strings.Contains(w.Body.String(), c.has) {
			t.Errorf("%s %s: %d %q, want %d %q containing %q", c.method, c.target, w.Code, w.Header().Get("Content-Type"), c.code, c.ctype, c.has)
		}
	}
	// The page must work under a prefix: no absolute URLs in it.
	for _, f := range []string{"/", "/app.js"} {
		body := do(t, d, "GET", f, nil).Body.String()
		for _, abs := range []string{`"/`, `'/`, "`/", "(/"} {
			if strings.Contains(body, abs+"api") || strings.Contains(body, abs+"app.js") || strings.Contains(body, abs+"style.css") {
				t.Errorf("%s holds an absolute URL (%s...)", f, abs)
			}
		}
	}
}

func TestMountedUnderPrefix(t *testing.T) {
	d, err := dashboard.New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/debug/rtc/", http.StripPrefix("/debug/rtc", d))
	mux.Handle("/debug/rtc", http.StripPrefix("/debug/rtc", d))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	code, header, _ := fetch(t, c, "GET", srv.URL+"/debug/rtc", nil)
	if code != http.StatusMovedPermanently || header.Get("Location") != "/debug/rtc/" {
		t.Errorf("GET /debug/rtc: %d to %q, want a redirect to /debug/rtc/", code, header.Get("Location"))
	}
	code, _, _ = fetch(t, c, "POST", srv.URL+"/debug/rtc/api/push?peer=x", strings.NewReader(`{}`))
	if code != http.StatusNoContent {
		t.Errorf("push under the prefix: %d", code)
	}
	for _, p := range []string{"/debug/rtc/", "/debug/rtc/app.js", "/debug/rtc/style.css", "/debug/rtc/api/state"} {
		code, _, b := fetch(t, c, "GET", srv.URL+p, nil)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d", p, code)
		}
		if p == "/debug/rtc/api/state" && !strings.Contains(string(b), `"name":"x"`) {
			t.Errorf("state under the prefix: %s", b)
		}
	}
}

// fetch sends a request with c under t's context (a JSON body if body is
// not nil) and returns the response's status, header and body.
func fetch(t *testing.T, c *http.Client, method, url string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			t.Error(err)
		}
	}()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}
