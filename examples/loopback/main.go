package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/rtcstats/rtcstats"
	"github.com/rtcstats/rtcstats/dscp"
	"github.com/rtcstats/rtcstats/internal/peers"
	"github.com/rtcstats/rtcstats/report"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loopback:", err)
		os.Exit(1)
	}
}

type options struct {
	duration time.Duration
	interval time.Duration
	out      string
	peer     string
	record   string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("loopback", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send media")
	fs.DurationVar(&o.interval, "interval", time.Second, "how often to print the stats table")
	fs.StringVar(&o.out, "o", "", "write the final report of -peer as JSON to this file")
	fs.StringVar(&o.peer, "peer", "offerer", "whose final report to write: offerer or answerer")
	fs.StringVar(&o.record, "record", "", "record -peer's report every -interval to this file as JSON Lines (report.NewPlayback reads it)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.duration <= 0:
		return o, errors.New("-duration must be positive")
	case o.interval <= 0:
		return o, errors.New("-interval must be positive")
	case o.peer != "offerer" && o.peer != "answerer":
		return o, fmt.Errorf("-peer must be offerer or answerer, not %q", o.peer)
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

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	pair, err := peers.New(cctx, peers.Config{FactoryOptions: []rtcstats.Option{rtcstats.WithDSCP(
		// RFC 8837: audio high (EF), video medium (AF42 key frames, AF43
		// others), data channels low (DF).
		dscp.WithKindPriority(dscp.KindAudio, dscp.PriorityHigh),
		dscp.WithKindPriority(dscp.KindVideo, dscp.PriorityMedium),
		dscp.WithDataChannelPriority(dscp.PriorityLow),
	)}})
	cancel()
	if err != nil {
		return fmt.Errorf("connecting the peers: %w", err)
	}
	defer func() { _ = pair.Close() }()
	fmt.Fprintf(w, "connected over 127.0.0.1; sending for %v\n", o.duration)

	mctx, mcancel := context.WithTimeout(ctx, o.duration)
	defer mcancel()
	type result struct {
		off, ans peers.Sent
		err      error
	}
	done := make(chan result, 1)
	go func() {
		off, ans, err := pair.SendMedia(mctx)
		done <- result{off, ans, err}
	}()

	peer := pair.Offerer
	if o.peer == "answerer" {
		peer = pair.Answerer
	}
	rec, closeRec, err := openRecording(o.record)
	if err != nil {
		return err
	}
	defer func() { _ = closeRec() }()
	record := func() error {
		if rec == nil {
			return nil
		}
		r, err := pair.Factory.GetStats(peer.PC)
		if err != nil {
			return err
		}
		return rec.Record(r)
	}

	t := newTable(w)
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	var res result
loop:
	for {
		select {
		case res = <-done:
			break loop
		case <-tick.C:
			if err := t.print(pair); err != nil {
				return err
			}
			if err := record(); err != nil {
				return fmt.Errorf("recording: %w", err)
			}
		}
	}
	if res.err != nil {
		return res.err
	}
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	fmt.Fprintf(w, "media stopped: offerer sent %d video frames, %d audio packets; answerer %d, %d\n",
		res.off.Video.Frames, res.off.Audio.Frames, res.ans.Video.Frames, res.ans.Audio.Frames)

	off, ans, err := pair.Settle(ctx, 5*time.Second)
	if errors.Is(err, peers.ErrTimeout) {
		fmt.Fprintln(w, "warning:", err)
	} else if err != nil {
		return err
	}
	if err := t.print(pair); err != nil {
		return err
	}
	r := off
	if peer == pair.Answerer {
		r = ans
	}
	if rec != nil {
		if err := rec.Record(r); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
		if err := closeRec(); err != nil {
			return fmt.Errorf("recording: %w", err)
		}
		fmt.Fprintf(w, "recorded %s\n", o.record)
	}
	if v := r.Validate(); len(v) > 0 {
		for _, x := range v {
			fmt.Fprintln(w, "violation:", x)
		}
		return fmt.Errorf("the %s's final report has %d spec violations", o.peer, len(v))
	}
	fmt.Fprintf(w, "%s's final report: %d objects, no spec violations\n", o.peer, len(r))
	if o.out != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", o.out)
	}
	return nil
}

// openRecording creates the -record file; close flushes and closes it and
// may be called more than once.
func openRecording(path string) (*report.Recorder, func() error, error) {
	if path == "" {
		return nil, func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("-record: %w", err)
	}
	bw := bufio.NewWriter(f)
	var once sync.Once
	var cerr error
	return report.NewRecorder(bw), func() error {
		once.Do(func() {
			cerr = errors.Join(bw.Flush(), f.Close())
		})
		return cerr
	}, nil
}
