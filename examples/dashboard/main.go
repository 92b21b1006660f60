package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/dashboard"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

func main() {
	if err := runUntilInterrupt(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

// runUntilInterrupt is run until Ctrl-C.
func runUntilInterrupt(args []string, w io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, args, w)
}

type options struct {
	addr     string
	duration time.Duration
	interval time.Duration
	history  int
	replay   string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("dashboard", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to serve the dashboard on")
	fs.DurationVar(&o.duration, "duration", 0, "how long to run; 0 runs until Ctrl-C")
	fs.DurationVar(&o.interval, "interval", time.Second, "how often to take each peer's stats")
	fs.IntVar(&o.history, "history", dashboard.DefaultHistory, "points kept per chart")
	fs.StringVar(&o.replay, "replay", "", "show a recording (JSON Lines from -record of examples/loopback or examples/prometheus) instead of a live call")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.duration < 0 {
		return o, errors.New("-duration must not be negative")
	}
	return o, nil
}

// run serves until ctx is done or the duration has passed.
func run(ctx context.Context, args []string, w io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	d, err := dashboard.New(dashboard.WithInterval(o.interval), dashboard.WithHistory(o.history))
	if err != nil {
		return err
	}
	var stop context.CancelFunc
	if o.duration > 0 {
		ctx, stop = context.WithTimeout(ctx, o.duration)
	} else {
		ctx, stop = context.WithCancel(ctx)
	}
	defer stop()

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: d, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		// ctx is done by now: the shutdown gets its own time.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(w, "dashboard: http://%s/\n", ln.Addr())

	if o.replay != "" {
		n, err := replay(d, o.replay)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "replayed %d reports of %s\n", n, o.replay)
		select {
		case <-ctx.Done():
		case err := <-served:
			return fmt.Errorf("serving: %w", err)
		}
		fmt.Fprintln(w, "stopped")
		return nil
	}

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	pair, err := peers.New(cctx, peers.Config{FactoryOptions: []rtcstats.Option{peers.DSCPPolicy()}})
	cancel()
	if err != nil {
		return fmt.Errorf("connecting the peers: %w", err)
	}
	defer func() { _ = pair.Close() }()
	for _, p := range []*peers.Peer{pair.Offerer, pair.Answerer} {
		pc := p.PC
		if err := d.AddPeer(p.Name, func() (report.Report, error) { return pair.Factory.GetStats(pc) }); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "peers connected over 127.0.0.1; sending media")

	media := make(chan error, 1)
	go func() {
		_, _, err := pair.SendMedia(ctx)
		media <- err
	}()
	polled := make(chan struct{})
	go func() { d.Run(ctx); close(polled) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-served:
		serveErr = fmt.Errorf("serving: %w", err)
		stop()
	}
	<-polled
	if err := errors.Join(serveErr, <-media); err != nil {
		return err
	}
	fmt.Fprintln(w, "stopped")
	return nil
}

// replay pushes every report of a recording into d under the file's name,
// in order: the charts come from the reports' own timestamps, so they look
// as they did live (the newest -history points of each).
func replay(d *dashboard.Dashboard, path string) (int, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the user names the file
	if err != nil {
		return 0, fmt.Errorf("-replay: %w", err)
	}
	defer func() { _ = f.Close() }()
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	p := report.NewPlayback(f)
	n := 0
	for {
		r, err := p.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("-replay: %w", err)
		}
		if err := d.Push(name, r); err != nil {
			return n, fmt.Errorf("-replay: report %d: %w", n+1, err)
		}
		n++
	}
}
