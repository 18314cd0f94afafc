import type { Queue, SkillMap } from '../../config/schema';
import type { Registry } from '../../registry/registry';

export type OverflowKind = 'queue' | 'extension' | 'voicemail' | 'none';

/** Where this queue sends the callers it will not keep; a queue target deleted since counts as none (hang up). */
export function overflowTarget(queue: Queue, registry: Registry): { kind: OverflowKind; target: string } {
  const o = queue.overflow;
  if (!o) return { kind: 'none', target: '' };
  if (o.kind === 'queue') return registry.findQueue(o.queueId) ? { kind: 'queue', target: o.queueId } : { kind: 'none', target: '' };
  if (o.kind === 'extension') return { kind: 'extension', target: o.extension };
  return { kind: 'voicemail', target: o.mailbox };
}

/**
 * Required skills as the dialplan passes them: "french:3&billing:2". Unknown shapes are dropped
 * (a typo in the dialplan must not keep a caller from being answered); levels clamp to 1..5.
 */
export function parseSkills(text: string): SkillMap {
  const out: SkillMap = {};
  for (const part of text.split('&')) {
    const m = /^([a-z0-9][a-z0-9_-]{0,39}):([1-5])$/i.exec(part.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
