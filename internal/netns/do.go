//go:build linux

package netns

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs fn on an OS thread switched into the namespace and returns its
// error. Sockets fn creates stay in the namespace after Do returns.
//
// fn runs on a new goroutine so the caller's thread is never switched:
// only the calling goroutine's own syscalls are in the namespace, so fn
// must not hand work to other goroutines (e.g. Dial a host name that
// resolves to several addresses; use literal IPs). If fn ends with
// runtime.Goexit (t.FailNow), Do returns an error.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		err := errors.New("netns: fn did not return (runtime.Goexit?)")
		defer func() { errc <- err }()
		err = ns.do(fn)
	}()
	return <-errc
}

func (ns *NS) do(fn func() error) (err error) {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: %w", err)
	}
	defer func() { _ = orig.Close() }()
	if err := setns(ns.path()); err != nil {
		runtime.UnlockOSThread() // a failed setns leaves the thread as it was
		return fmt.Errorf("netns: entering %s: %w", ns.Name, err)
	}
	defer func() {
		if rerr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); rerr != nil {
			// Stay locked: the runtime terminates a thread whose goroutine
			// exits locked, so no other goroutine runs in the namespace.
			err = errors.Join(err, fmt.Errorf("netns: restoring namespace: %w", rerr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return fn()
}

func setns(path string) error {
	f, err := os.Open(path) //nolint:gosec // G304: a namespace path under /run/netns
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}
