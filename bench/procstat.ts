// CPU time and resident memory of a process, read from /proc (Linux only): what a process costs,
// measured from outside so that neither the controller nor Asterisk needs any instrumentation.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds the process has used so far (all its threads). */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 utime, 15 stime
}

/** CPU seconds of this process's children that have exited and been waited for (sipp callers). */
export function reapedChildrenCpuSeconds(pid = process.pid): number {
  const f = statFields(pid);
  return (Number(f[13]) + Number(f[14])) / CLK_TCK; // fields 16 cutime, 17 cstime
}

/** Running processes whose command line contains `marker` (e.g. the folder our sipp processes work in). */
export function pidsWith(marker: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) out.push(Number(name));
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** Resident set size in bytes. */
export function rssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) * 1024;
}

/** CPU seconds of several named processes, to subtract a later sample from. */
export function cpuSample(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
}

/** Busy and total CPU time of the whole machine so far (seconds, all cores): who else is using it shows here. */
export function machineCpu(): { busy: number; total: number } {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const t = ticks.map(Number); // user nice system idle iowait irq softirq steal ...
  const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - t[3] - t[4]) / CLK_TCK, total: total / CLK_TCK };
}

/** Cores the whole machine keeps busy over `sampleMs`. */
export async function busyCores(sampleMs = 1000): Promise<number> {
  const a = machineCpu();
  await new Promise((r) => setTimeout(r, sampleMs));
  const b = machineCpu();
  return (b.busy - a.busy) / (sampleMs / 1000);
}
