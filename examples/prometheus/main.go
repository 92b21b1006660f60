package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/prom"
	"github.com/rtcstats/rtcstats/report"
)

func main() {
	if err := runUntilInterrupt(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "prometheus:", err)
		os.Exit(1)
	}
}

// runUntilInterrupt is run until Ctrl-C.
func runUntilInterrupt(args []string, w io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, args, w, nil)
}

type options struct {
	listen    string
	duration  time.Duration
	interval  time.Duration
	record    string
	perStream bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("prometheus", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9464", "address to serve /metrics on")
	fs.DurationVar(&o.duration, "duration", 0, "how long to send media; 0 means until interrupted")
	fs.DurationVar(&o.interval, "interval", time.Second, "how often -record writes the offerer's report")
	fs.StringVar(&o.record, "record", "", "write the offerer's reports as JSON Lines to this file")
	fs.BoolVar(&o.perStream, "per-stream", false, "one series per RTP stream (ssrc and mid labels)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.duration < 0:
		return o, errors.New("-duration must not be negative")
	case o.interval <= 0:
		return o, errors.New("-interval must be positive")
	}
	return o, nil
}

// run serves until ctx ends or, with -duration, until the media stopped.
// ready, if not nil, receives the /metrics URL once it is served.
func run(ctx context.Context, args []string, w io.Writer, ready chan<- string) (err error) {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	var collectorOpts []prom.Option
	if o.perStream {
		collectorOpts = append(collectorOpts, prom.WithPerStream())
	}
	c, err := prom.NewCollector(collectorOpts...)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	pair, err := peers.New(cctx, peers.Config{FactoryOptions: []rtcstats.Option{peers.DSCPPolicy()}})
	cancel()
	if err != nil {
		return fmt.Errorf("connecting the peers: %w", err)
	}
	defer func() { _ = pair.Close() }()
	for _, p := range []*peers.Peer{pair.Offerer, pair.Answerer} {
		if err := c.AddPeerConnection(p.Name, pair.Factory, p.PC); err != nil {
			return err
		}
	}
	url := "http://" + ln.Addr().String() + "/metrics"
	fmt.Fprintf(w, "serving %s (calls %v)\n", url, c.Calls())
	if ready != nil {
		ready <- url
	}

	mctx, mcancel := context.WithCancel(ctx)
	if o.duration > 0 {
		mctx, mcancel = context.WithTimeout(ctx, o.duration)
	}
	defer mcancel()
	done := make(chan error, 1)
	go func() {
		_, _, err := pair.SendMedia(mctx)
		done <- err
	}()

	var rec *report.Recorder
	if o.record != "" {
		f, cerr := os.Create(o.record)
		if cerr != nil {
			return cerr
		}
		bw := bufio.NewWriter(f)
		defer func() { err = errors.Join(err, bw.Flush(), f.Close()) }() // a recording cut short is an error
		rec = report.NewRecorder(bw)
	}
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	lines := 0
	for {
		select {
		case err := <-done:
			if ctx.Err() != nil {
				err = errors.Join(err, errors.New("interrupted"))
			}
			if rec != nil {
				fmt.Fprintf(w, "recorded %d reports of the offerer to %s\n", lines, o.record)
			}
			return err
		case <-tick.C:
			if rec == nil {
				continue
			}
			r, err := pair.Factory.GetStats(pair.Offerer.PC)
			if err != nil {
				return err
			}
			if err := rec.Record(r); err != nil {
				return err
			}
			lines++
		}
	}
}
