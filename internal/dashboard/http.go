package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"

	"github.com/rtcstats/rtcstats/report"
)

//go:embed static
var static embed.FS

// routes serves the page and the API. All paths are relative to where the
// Dashboard is mounted. The error is fs.Sub's, which fails only for an
// invalid directory name: not for this one.
func (d *Dashboard) routes() (*http.ServeMux, error) {
	files, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: embedded page: %w", err)
	}
	m := http.NewServeMux()
	fileServer := http.FileServerFS(files)
	m.Handle("GET /{$}", fileServer) // index.html
	m.Handle("GET /app.js", fileServer)
	m.Handle("GET /style.css", fileServer)
	m.HandleFunc("GET /api/state", d.serveState)
	m.HandleFunc("POST /api/push", d.servePush)
	return m, nil
}

// ServeHTTP serves GET / (the page), GET api/state (State as JSON) and
// POST api/push?peer=NAME (a getStats JSON body, as
// JSON.stringify(Object.fromEntries(await pc.getStats()))).
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "" {
		// Mounted with http.StripPrefix("/x", ...) and asked for "/x": the
		// page's relative URLs need the trailing slash.
		u := *r.URL
		if req, err := url.ParseRequestURI(r.RequestURI); err == nil {
			u.Path, u.RawPath = req.Path+"/", ""
		}
		// Same origin: the request's own path plus "/". r.URL.Path is
		// empty only when the path equals the prefix the application
		// mounted the Dashboard under.
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently) //nolint:gosec // G710: see above

		return
	}
	d.mux.ServeHTTP(w, r)
}

func (d *Dashboard) serveState(w http.ResponseWriter, _ *http.Request) {
	b, err := json.Marshal(d.State())
	if err != nil {
		http.Error(w, "encoding the state: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

func (d *Dashboard) servePush(w http.ResponseWriter, r *http.Request) {
	if err := d.pushGuard.Check(r); err != nil {
		http.Error(w, "push refused: "+err.Error(), http.StatusForbidden)
		return
	}
	name := r.URL.Query().Get("peer")
	if err := checkName(name); err != nil {
		http.Error(w, fmt.Sprintf("query parameter peer: %v", err), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("body larger than %d bytes", MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var rep report.Report
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		err = errors.New("null")
	} else {
		err = json.Unmarshal(body, &rep)
	}
	if err != nil {
		http.Error(w, "body is not a getStats JSON object keyed by id: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := d.Push(name, rep); err != nil {
		code := http.StatusBadRequest
		if errors.Is(err, ErrTooManyPeers) {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, err.Error(), code)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
