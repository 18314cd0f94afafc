// Free local ports for the test's own sockets: SIPp processes, RTP peers, controllers' HTTP ports.
//
// Allocation is synchronous because SippProcess.port must be known before sipp is spawned
// (tests push it into an AOR contact first). We therefore cannot bind-and-release; instead we
// walk a range and skip ports that /proc/net/{udp,tcp}{,6} show as bound, plus ports this process
// has already handed out (a sipp given a port binds it only some milliseconds later).
//
// The range must not hold any port an Asterisk of the run may take for RTP in that window: a port
// handed to a SIPp phone and taken by Asterisk's RTP before sipp binds it kills the phone. So every
// Asterisk RTP range of the run is left out, read from the environment scripts/test.sh sets:
//   ACD_TEST_RTP_RANGES  all RTP ranges of the run's Asterisks, "30000-32000,32000-34000" (both ends
//                        included, as Asterisk's rtpstart/rtpend; each shard's range holds its
//                        Asterisk's 1000 ports and the next 1000 for the second Asterisk of the
//                        two-controller tests); without it ACD_TEST_RTP_START..+2000 (default 30000-32000)
//   ACD_TEST_PEER_PORTS  the range to hand out from, "first-last" (default 21000-32000); it ends below
//                        Linux's ephemeral range (32768+), so the kernel picks none of these behind our back
//   ACD_TEST_PORT_SLICE  "k/n": this process hands out only the k-th of n equal parts of what is left,
//                        so the test shards of one run, each in its own process, never pick the same
//                        port (a TCP port bound by the other shard's controller is invisible until bound)
// Without a slice each process starts at a pid-derived offset, so parallel runs rarely collide.
import * as fs from 'fs';

type Range = [number, number];

function parseRanges(text: string, what: string): Range[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\d+)-(\d+)$/.exec(s);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`${what}: "${s}" is not a port range first-last`);
    return [Number(m[1]), Number(m[2])] as Range;
  });
}

/** The ports this process may hand out, in order, from the environment (see the header). */
export function peerPorts(env: NodeJS.ProcessEnv = process.env): number[] {
  const [[first, last]] = parseRanges(env.ACD_TEST_PEER_PORTS ?? '21000-32000', 'ACD_TEST_PEER_PORTS');
  const rtpStart = Number(env.ACD_TEST_RTP_START ?? 30000);
  const excluded = parseRanges(env.ACD_TEST_RTP_RANGES ?? `${rtpStart}-${rtpStart + 2000}`, 'ACD_TEST_RTP_RANGES');
  const ports: number[] = [];
  for (let p = first; p <= last; p++) if (!excluded.some(([a, b]) => p >= a && p <= b)) ports.push(p);
  const slice = env.ACD_TEST_PORT_SLICE;
  if (!slice) return ports;
  const m = /^(\d+)\/(\d+)$/.exec(slice);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || k < 1 || k > n) throw new Error(`ACD_TEST_PORT_SLICE: "${slice}" is not k/n with 1 <= k <= n`);
  const size = Math.floor(ports.length / n);
  return ports.slice((k - 1) * size, k * size);
}

const PORTS = peerPorts();
if (PORTS.length < 200) throw new Error(`only ${PORTS.length} test ports left after the exclusions (ACD_TEST_PEER_PORTS, ACD_TEST_RTP_RANGES, ACD_TEST_PORT_SLICE)`);

let cursor = process.env.ACD_TEST_PORT_SLICE ? 0 : (process.pid * 97) % PORTS.length;
/** Handed out during the current walk around the range; forgotten when a walk comes round again. */
let handedOut = new Set<number>();

function boundPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6', '/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // not Linux, or no IPv6: the handed-out set still prevents self-collisions
    }
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1]; // "0100007F:13C4"
      const hex = local?.split(':')[1];
      if (hex) ports.add(parseInt(hex, 16));
    }
  }
  return ports;
}

/** The next run of `count` consecutive ports, the first a multiple of `align`, free and not handed out. */
function take(count: number, align: number): number {
  const bound = boundPorts();
  const free = (p: number) => !handedOut.has(p) && !bound.has(p);
  for (let lap = 0; lap < 2; lap++) {
    for (let i = 0; i < PORTS.length; i++) {
      const at = (cursor + i) % PORTS.length;
      const first = PORTS[at];
      if (first % align !== 0) continue;
      const run = Array.from({ length: count }, (_, j) => first + j);
      // consecutive in PORTS too, so no port of the run lies in an excluded range or another slice
      if (!run.every((p, j) => PORTS[at + j] === p && free(p))) continue;
      cursor = (at + count) % PORTS.length;
      for (const p of run) handedOut.add(p);
      return first;
    }
    // every port was handed out once in this walk: the earliest were released long ago
    handedOut = new Set();
  }
  throw new Error(`no free port in ${PORTS[0]}-${PORTS[PORTS.length - 1]}`);
}

/** A port on 127.0.0.1 that nothing is bound to right now (UDP or TCP) and that we have not just handed out. */
export function allocatePort(): number {
  return take(1, 1);
}

/** An even port and the one above it (RTP and RTCP), both free and handed out together. */
export function allocatePortPair(): number {
  return take(2, 2);
}
