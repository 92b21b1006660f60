//go:build linux

package nfqueue

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrUnavailable is wrapped by Open's errors when the kernel cannot provide
// the queue (no nfnetlink_queue, no permission, or the number is taken).
var ErrUnavailable = errors.New("nfqueue: queue unavailable")

// Queue is one bound NFQUEUE queue number.
type Queue struct {
	num uint16
	f   *os.File
	rc  syscall.RawConn
	seq atomic.Uint32

	mu      sync.Mutex // serialises Read's buffer
	buf     []byte
	pending []netlinkMsg

	closed       atomic.Bool
	kernelErrors atomic.Uint64
}

// ErrOverflow is returned by Read when the socket's receive buffer
// overflowed: the kernel lost packets (they count in its queue drop
// statistics). Reading may continue.
var ErrOverflow = errors.New("nfqueue: receive buffer overflowed, packets were lost")

// KernelErrors is the number of verdicts the kernel refused (unknown id).
func (q *Queue) KernelErrors() uint64 { return q.kernelErrors.Load() }

// maxQueueLen is how many packets the kernel may hold for us; at the
// delays tests use (tens of ms) and rates (hundreds of packets/s) a few
// dozen are queued.
const maxQueueLen = 4096

// Open binds queue num in the network namespace of the calling thread
// (inside netns.NS.Do for a namespace; the socket keeps it for life) and
// asks for the first copyRange bytes of each packet.
func Open(num uint16, copyRange uint32) (*Queue, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("%w: netlink socket: %w", ErrUnavailable, err)
	}
	// A big receive buffer: a packet whose message does not fit is lost to
	// the kernel's drop counter rather than delayed.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("%w: bind netlink socket: %w", ErrUnavailable, err)
	}
	// Non-blocking, so os.File leaves it to us (recv polls it itself).
	f := os.NewFile(uintptr(fd), fmt.Sprintf("nfqueue:%d", num))
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	q := &Queue{num: num, f: f, rc: rc, buf: make([]byte, 1<<16)}
	if err := q.request(bindMsg(q.seq.Add(1), num)); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%w: binding queue %d: %w", ErrUnavailable, num, err)
	}
	if err := q.request(paramsMsg(q.seq.Add(1), num, copyRange, maxQueueLen)); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%w: configuring queue %d: %w", ErrUnavailable, num, err)
	}
	return q, nil
}

// Num is the queue number.
func (q *Queue) Num() uint16 { return q.num }

// send writes one message with a direct sendto on the calling thread (the
// kernel consumes netlink requests at once; a full buffer is an error).
func (q *Queue) send(b []byte) error {
	var serr error
	err := q.rc.Control(func(fd uintptr) {
		for {
			serr = unix.Sendto(int(fd), b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
			if serr != unix.EINTR {
				return
			}
		}
	})
	return errors.Join(err, serr)
}

// request sends a configuration message and waits for its acknowledgement.
// Packets that arrive meanwhile are kept for Read.
func (q *Queue) request(b []byte) error {
	seq := seqOf(b)
	if err := q.send(b); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		msgs, err := q.recv()
		if err != nil {
			return err
		}
		for i, m := range msgs {
			if m.typ != nlmsgError || m.seq != seq {
				q.pending = append(q.pending, m)
				continue
			}
			q.pending = append(q.pending, msgs[i+1:]...)
			code, err := errorCode(m.body)
			if err != nil {
				return err
			}
			if code != 0 {
				return syscall.Errno(-code)
			}
			return nil
		}
	}
}

// recv waits for one datagram and splits it. It waits in poll(2) on the
// calling thread rather than in Go's network poller, so a goroutine locked
// to a real-time thread (see Delayer) wakes as soon as the packet is
// queued, whatever else the process or the machine is doing. It returns
// os.ErrClosed once the Queue is closed.
func (q *Queue) recv() ([]netlinkMsg, error) {
	for {
		if q.closed.Load() {
			return nil, os.ErrClosed
		}
		var (
			n    int
			rerr error
		)
		err := q.rc.Control(func(fd uintptr) {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if _, rerr = unix.Poll(pfd, 100); rerr != nil { // ms: to notice Close
				return
			}
			n, _, rerr = unix.Recvfrom(int(fd), q.buf, unix.MSG_DONTWAIT)
		})
		switch {
		case err != nil:
			return nil, err
		case rerr == unix.EAGAIN || rerr == unix.EINTR:
			continue
		case rerr != nil:
			return nil, rerr
		}
		msgs, err := splitMessages(q.buf[:n])
		// Detach from the buffer: pending messages outlive this datagram.
		for i := range msgs {
			msgs[i].body = append([]byte(nil), msgs[i].body...)
		}
		return msgs, err
	}
}

// Read blocks until the kernel queues a packet, and returns it. Every
// packet must be answered with [Queue.Verdict]. Read is not for
// concurrent use; Verdict may run concurrently with it. After Close it
// returns an error wrapping os.ErrClosed.
func (q *Queue) Read() (Packet, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.pending) > 0 {
			m := q.pending[0]
			q.pending = q.pending[1:]
			switch m.typ {
			case msgType(msgPacket):
				return parsePacket(m.body)
			case nlmsgError:
				// An error about a verdict (sent without an ack request):
				// the id was unknown, e.g. already flushed.
				if code, err := errorCode(m.body); err != nil || code != 0 {
					q.kernelErrors.Add(1)
				}
			}
		}
		msgs, err := q.recv()
		if err != nil {
			if errors.Is(err, unix.ENOBUFS) {
				return Packet{}, fmt.Errorf("%w: %w", ErrOverflow, err)
			}
			return Packet{}, err
		}
		q.pending = msgs
	}
}

// Verdict answers packet id.
func (q *Queue) Verdict(id uint32, v Verdict) error {
	return q.send(verdictMsg(q.num, id, v))
}

// Close closes the socket, which unbinds the queue; the kernel drops the
// packets still waiting for a verdict. A blocked Read returns within
// 100 ms.
func (q *Queue) Close() error {
	if q.closed.Swap(true) {
		return nil
	}
	return q.f.Close()
}
