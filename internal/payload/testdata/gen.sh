#!/bin/sh
# Regenerates the RTP dumps *.rtpdump and their ffprobe expectations
# *.ffprobe.json in this directory. Needs ffmpeg/ffprobe (made with the
# Debian 12 package, ffmpeg 5.1.9: libvpx, libx264, libaom) and Go.
#
# Each stream is two 1-second segments of testsrc2 at 15 fps with different
# sizes, each segment starting on a key frame and forcing one every 10
# frames: 30 frames, key frames 0, 10, 15 and 25, a resolution change at
# frame 15. The encoders write IVF (VP8, VP9, AV1) or an Annex B byte
# stream with access unit delimiters (H.264); TestWriteDumps
# (dump_test.go) joins the two segments of each, packetizes every frame
# with pion's payloaders (github.com/pion/rtp/codecs, as pion/webrtc
# configures them) at MTU 1200 and writes the packets in rtpdump format
# (rtptools' "#!rtpplay1.0"), with sequence numbers and timestamps that wrap
# during the stream. ffprobe then decodes the joined streams and its
# per-frame key_frame/width/height/pkt_size is committed as the expectation the
# tests compare against. libvpx's VP8 realtime mode is not bit-exact from
# run to run (frame sizes differ by a few bytes; frames, key frames and
# sizes do not), so a regenerated vp8 pair differs from the committed one
# but agrees with itself.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

src() { # size: 15 frames of the test pattern
	echo "-f lavfi -i testsrc2=size=$1:rate=15 -frames:v 15 -pix_fmt yuv420p"
}
ff="ffmpeg -hide_banner -loglevel error -y"

for seg in a:184x104 b:96x64; do
	$ff $(src "${seg#*:}") -c:v libvpx -deadline realtime -cpu-used 8 \
		-auto-alt-ref 0 -lag-in-frames 0 -g 10 -keyint_min 10 -b:v 120k \
		"$tmp/vp8-${seg%%:*}.ivf"
done
for seg in a:160x90 b:112x64; do
	$ff $(src "${seg#*:}") -c:v libvpx-vp9 -deadline realtime -cpu-used 8 \
		-auto-alt-ref 0 -lag-in-frames 0 -g 10 -keyint_min 10 -b:v 120k \
		"$tmp/vp9-${seg%%:*}.ivf"
done
# High profile with the JVT scaling matrices, so the SPS carries scaling
# lists; SPS and PPS repeated in front of every IDR picture as WebRTC
# senders do; sizes that are not multiples of 16, so the SPS crops.
for seg in a:200x116 b:120x68; do
	$ff $(src "${seg#*:}") -c:v libx264 -profile:v high -tune zerolatency \
		-preset veryfast -g 10 -keyint_min 10 -sc_threshold 0 -bf 0 \
		-x264-params aud=1:repeat-headers=1:cqm=jvt \
		-bsf:v h264_mp4toannexb -f h264 "$tmp/h264-${seg%%:*}.264"
done
for seg in a:128x72 b:96x54; do
	$ff $(src "${seg#*:}") -c:v libaom-av1 -usage realtime -cpu-used 8 \
		-lag-in-frames 0 -g 10 -keyint_min 10 -b:v 120k -f ivf \
		"$tmp/av1-${seg%%:*}.ivf"
done

(cd .. && go test -run '^TestWriteDumps$' -count=1 . -args -dumps-from="$tmp")

for f in vp8.ivf vp9.ivf h264.264 av1.ivf; do
	ffprobe -v error -show_frames -show_entries frame=key_frame,width,height,pkt_size \
		-of json=c=1 "$tmp/$f" >"${f%.*}.ffprobe.json"
done
