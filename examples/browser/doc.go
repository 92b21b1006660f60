// Command browser lets your browser call a pion PeerConnection measured by
// rtcstats. It serves a page on 127.0.0.1 that takes your camera and
// microphone (a drawn canvas and a tone when there are none), sends them to
// pion with a data channel, plays what pion sends back (the repository's
// testdata), and shows both sides' stats: ours from rtcstats and the
// browser's own getStats. A live dashboard of both is under /dashboard/.
//
//	go run ./examples/browser            # then open http://127.0.0.1:8080/
//
// pion marks its packets per RFC 8837 (audio EF, video AF42/AF43) and counts
// the DSCP of what arrives: set the page's network priority and watch
// perDscpPacketsReceived follow the browser's marks.
package main
