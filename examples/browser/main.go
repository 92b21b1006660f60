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
	"time"

	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/internal/browserpeer"
	"github.com/rtcstats/rtcstats/internal/dashboard"
	"github.com/rtcstats/rtcstats/internal/peers"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		os.Exit(1)
	}
}

type options struct {
	addr         string
	loopbackOnly bool
	interval     time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("browser", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "where to serve the page (a loopback address)")
	fs.BoolVar(&o.loopbackOnly, "loopback-only", false,
		"pion offers only 127.0.0.1 (the browser then needs --allow-loopback-in-peer-connection)")
	fs.DurationVar(&o.interval, "interval", time.Second, "how often the dashboard polls pion's stats")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	host, _, err := net.SplitHostPort(o.addr)
	if err != nil {
		return o, fmt.Errorf("-addr: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return o, fmt.Errorf("-addr must be a loopback address, not %q", host)
	}
	if o.interval <= 0 {
		return o, errors.New("-interval must be positive")
	}
	return o, nil
}

func run(args []string, w io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	dash, err := dashboard.New(dashboard.WithInterval(o.interval))
	if err != nil {
		return err
	}
	srv, err := browserpeer.New(browserpeer.Config{
		FactoryOptions: []rtcstats.Option{peers.DSCPPolicy()}, // RFC 8837: audio EF, video AF42/AF43, data DF
		LoopbackOnly:   o.loopbackOnly,
		Dashboard:      dash,
	})
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	if err := dash.AddPeer("pion", srv.Stats); err != nil {
		return err
	}
	go dash.Run(ctx)

	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", o.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(w, "open http://%s/ in your browser (dashboard: http://%s/dashboard/); Ctrl-C stops\n", ln.Addr(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}
