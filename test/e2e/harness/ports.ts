// Free local UDP ports for SIPp processes.
//
// Allocation is synchronous because SippProcess.port must be known before sipp is spawned
// (tests push it into an AOR contact first). We therefore cannot bind-and-release; instead we
// walk a range and skip ports that /proc/net/udp{,6} shows as bound, plus ports this process
// has already handed out. The range sits between Asterisk's RTP range (10000-20000) and
// Linux's ephemeral range (32768+), so neither Asterisk nor the kernel picks these ports behind
// our back. Each process starts at a pid-derived offset so parallel mocha workers rarely collide.
import * as fs from 'fs';

const FIRST = 21000;
const LAST = 32000; // exclusive
const SPAN = LAST - FIRST;

let cursor = (process.pid * 97) % SPAN;
const handedOut = new Set<number>();

function boundUdpPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
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

/** A UDP port on 127.0.0.1 that nothing is bound to right now and that we have not handed out before. */
export function allocatePort(): number {
  const bound = boundUdpPorts();
  for (let i = 0; i < SPAN; i++) {
    const port = FIRST + ((cursor + i) % SPAN);
    if (handedOut.has(port) || bound.has(port)) continue;
    cursor = (cursor + i + 1) % SPAN;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free UDP port in ${FIRST}-${LAST - 1}`);
}
