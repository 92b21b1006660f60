'use strict';
// The browser side of examples/browser: offers audio, video and a data
// channel to the pion peer, sets networkPriority on both senders, and shows
// both sides' stats. window.pc and window.rtcstatsRecord/rtcstatsTake are
// what the Chromium end-to-end tests drive.

const params = new URLSearchParams(location.search);
const interval = Number(params.get('interval')) || 1000;
const $ = (id) => document.getElementById(id);
if (params.has('priority')) $('priority').value = params.get('priority');

let pc = null;
let timer = null;
let dashboard = '';

const setStatus = (s) => { $('status').textContent = s; };

// A drawn canvas and a tone when there is no camera or microphone.
function syntheticMedia() {
  const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
  const g = canvas.getContext('2d');
  let frame = 0;
  setInterval(() => {
    g.fillStyle = `hsl(${frame % 360}, 60%, 40%)`;
    g.fillRect(0, 0, 640, 480);
    g.fillStyle = '#fff';
    g.font = '48px sans-serif';
    g.fillText(`frame ${frame++}`, 40, 260);
  }, 33);
  const ac = new AudioContext();
  const osc = ac.createOscillator();
  const dest = ac.createMediaStreamDestination();
  osc.frequency.value = 440;
  osc.connect(dest);
  osc.start();
  return new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...dest.stream.getAudioTracks()]);
}

async function media() {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
  } catch (e) {
    console.warn('getUserMedia failed, sending a drawn canvas and a tone:', e);
    return syntheticMedia();
  }
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); resolve(); };
    const t = setTimeout(done, ms); // offer what there is by then
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') done();
    });
  });
}

// networkPriority maps to DSCP (RFC 8837); Chromium marks only when it is set.
async function setPriority(senders, prio) {
  window.rtcPriority = [];
  for (const s of senders) {
    const p = s.getParameters();
    if (!p.encodings || p.encodings.length === 0) p.encodings = [{}];
    if (prio) p.encodings[0].networkPriority = prio;
    else delete p.encodings[0].networkPriority;
    await s.setParameters(p);
    window.rtcPriority.push({ kind: s.track.kind, networkPriority: s.getParameters().encodings[0].networkPriority });
  }
}

async function start() {
  $('start').disabled = true;
  setStatus('getting media');
  try {
    const cfg = await (await fetch('config')).json();
    dashboard = cfg.dashboard || '';
    if (dashboard) $('dashboard').innerHTML = `<a href="${dashboard}" target="_blank">dashboard</a>`;
    const stream = await media();
    $('local').srcObject = stream;
    pc = new RTCPeerConnection();
    window.pc = pc;
    const senders = stream.getTracks().map((t) => pc.addTrack(t, stream));
    pc.ontrack = (e) => {
      const s = new MediaStream([e.track]);
      if (e.track.kind === 'audio') {
        $('remoteAudio').srcObject = s;
        $('remoteAudio').play().catch(() => {});
      } else {
        $('remote').srcObject = s;
      }
    };
    pc.onconnectionstatechange = () => setStatus(pc.connectionState);
    const dc = pc.createDataChannel('chat');
    let n = 0;
    dc.onopen = () => { window.chatTimer = setInterval(() => dc.send(`browser says ${++n}`), 1000); };
    dc.onmessage = (e) => { $('chat').textContent = `${e.data} (sent ${n})`; };
    dc.onclose = () => clearInterval(window.chatTimer);

    setStatus('offering');
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);
    const res = await fetch('offer', { method: 'POST', body: JSON.stringify(pc.localDescription) });
    if (!res.ok) throw new Error(await res.text());
    await pc.setRemoteDescription(await res.json());
    await setPriority(senders, $('priority').value);
    timer = setInterval(refresh, interval);
    $('stop').disabled = false;
    window.rtcReady = true;
  } catch (e) {
    setStatus(`failed: ${e}`);
    window.rtcError = String(e);
    $('start').disabled = false;
  }
}

function stop() {
  clearInterval(timer);
  clearInterval(window.chatTimer);
  if (pc) pc.close();
  pc = null;
  setStatus('closed');
  $('stop').disabled = true;
  $('start').disabled = false;
}

// getStats as the JSON a page would post: Object.fromEntries(report).
async function browserStats() {
  return Object.fromEntries(await pc.getStats());
}

async function refresh() {
  if (!pc) return;
  const theirs = await browserStats();
  $('theirs').innerHTML = table(theirs);
  if (dashboard) {
    fetch(`${dashboard}api/push?peer=browser`, { method: 'POST', body: JSON.stringify(theirs) }).catch(() => {});
  }
  try {
    const res = await fetch('stats');
    $('ours').innerHTML = res.ok ? table(await res.json()) : res.statusText;
  } catch (e) {
    $('ours').textContent = String(e);
  }
}

const rtpTypes = ['outbound-rtp', 'inbound-rtp', 'remote-inbound-rtp', 'remote-outbound-rtp'];
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (x, f = 1) => (x === undefined ? '' : (x * f).toFixed(f === 1 ? 0 : 2));
const dscp = (m) => (m ? Object.entries(m).map(([k, v]) => `${k}:${v}`).join(' ') : '');

function table(r) {
  const rows = Object.values(r)
    .filter((s) => rtpTypes.includes(s.type))
    .sort((a, b) => (a.kind + a.type).localeCompare(b.kind + b.type));
  let h = '<table><tr><th class="l">type</th><th class="l">kind</th><th>ssrc</th><th>packets</th>' +
    '<th>bytes</th><th>lost</th><th>jitter ms</th><th>RTT ms</th><th class="l">DSCP: packets</th></tr>';
  for (const s of rows) {
    const rtt = s.roundTripTime;
    h += `<tr><td class="l">${esc(s.type)}</td><td class="l">${esc(s.kind)}</td><td>${esc(s.ssrc)}</td>` +
      `<td>${num(s.packetsSent ?? s.packetsReceived)}</td><td>${num(s.bytesSent ?? s.bytesReceived)}</td>` +
      `<td>${num(s.packetsLost)}</td><td>${num(s.jitter, 1000)}</td><td>${num(rtt, 1000)}</td>` +
      `<td class="l">${esc(dscp(s.perDscpPacketsSent || s.perDscpPacketsReceived))}</td></tr>`;
  }
  return h + '</table>';
}

// Test hook: sample getStats every ms milliseconds, keeping the RTP objects.
let recorded = [];
let recordTimer = null;
window.rtcstatsRecord = (ms) => {
  clearInterval(recordTimer);
  recordTimer = setInterval(async () => {
    if (!pc) return;
    const r = await browserStats();
    recorded.push(Object.fromEntries(Object.entries(r).filter(([, s]) => rtpTypes.includes(s.type))));
  }, ms);
};
window.rtcstatsTake = () => { const out = recorded; recorded = []; return out; };
window.browserStats = browserStats;
// Test hook: stop sending audio and video (RTCP and the data channel go on).
window.stopMedia = () => Promise.all(pc.getSenders().map((s) => s.replaceTrack(null)));

$('start').onclick = start;
$('stop').onclick = stop;
if (params.get('autostart') === '1') start();
