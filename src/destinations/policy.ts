import { z } from 'zod';

/**
 * What the system may dial on its own (callbacks, transfers, consultations, three-way calls,
 * later campaigns): one policy, per organisation, that a queue may override field by field.
 *
 * Patterns are Asterisk extension patterns, which operators already write in their dialplans:
 * a leading `_`, then X (0-9), Z (1-9), N (2-9), [1-5] or [125] (one of), `.` (one or more
 * characters) and `!` (zero or more); anything else is literal. A string without `_` is one exact
 * number. They compile to anchored regular expressions without nested repetition, so no pattern an
 * operator types can make a check slow.
 */
export const DestinationPattern = z.string()
  .regex(/^(_(?:[0-9XZN*#+.!]|\[[0-9-]+\])+|\+?[0-9*#]{1,32})$/i, 'an Asterisk pattern such as _NXXNXXXXXX, or a literal number')
  .max(64)
  // a range such as [5-1] passes the shape but is no character class
  .refine((p) => { try { patternRegExp(p); return true; } catch { return false; } }, 'a character range runs upwards, such as [1-5]');
export const DeniedPrefix = z.string().regex(/^\+?[0-9*#]{0,15}$/, 'a prefix: digits, *, # and an optional leading +').min(1).max(16);

/** Every field optional: a queue's override replaces only the fields it gives. */
export const DestinationPolicyOverride = z.object({
  /** A number must match one of these; empty: any number passing the other rules. */
  allowedPatterns: z.array(DestinationPattern).max(200).optional(),
  /** A number starting with any of these is refused (premium-rate, international, ...). */
  deniedPrefixes: z.array(DeniedPrefix).max(500).optional(),
  /** The most characters a number may have, a leading + included. */
  maxLength: z.number().int().min(2).max(32).optional(),
}).strict();
export type DestinationPolicyOverride = z.infer<typeof DestinationPolicyOverride>;

/**
 * The shipped default: international (+, 00, 011) and premium-rate prefixes (NANP 1-900 and 1-976,
 * the 0900/09 ranges of much of Europe, 118 directory services) are refused; 15 digits at most
 * (E.164). Change them in the config file's settings or through PUT /settings.
 */
export const DEFAULT_DESTINATION_POLICY = {
  allowedPatterns: [] as string[],
  deniedPrefixes: ['+', '00', '011', '1900', '900', '1976', '976', '0900', '09', '118'],
  maxLength: 16,
};

export const DestinationPolicySchema = z.object({
  allowedPatterns: z.array(DestinationPattern).max(200).default(DEFAULT_DESTINATION_POLICY.allowedPatterns),
  deniedPrefixes: z.array(DeniedPrefix).max(500).default(DEFAULT_DESTINATION_POLICY.deniedPrefixes),
  maxLength: z.number().int().min(2).max(32).default(DEFAULT_DESTINATION_POLICY.maxLength),
}).strict();
export type DestinationPolicy = z.infer<typeof DestinationPolicySchema>;

export type Verdict =
  | { allowed: true; number: string }
  | { allowed: false; number: string; reason: 'not-a-number' | 'too-long' | 'denied-prefix' | 'not-allowed-pattern'; rule?: string };

/** The organisation's policy with a queue's override applied (fields it gives replace the organisation's). */
export function effectivePolicy(org: DestinationPolicy, queue?: DestinationPolicyOverride): DestinationPolicy {
  return {
    allowedPatterns: queue?.allowedPatterns ?? org.allowedPatterns,
    deniedPrefixes: queue?.deniedPrefixes ?? org.deniedPrefixes,
    maxLength: queue?.maxLength ?? org.maxLength,
  };
}

const compiled = new Map<string, RegExp>();

/** An Asterisk extension pattern (or a literal) as an anchored regular expression. */
export function patternRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re) return re;
  if (!pattern.startsWith('_')) {
    re = new RegExp(`^${pattern.replace(/[+*]/g, '\\$&')}$`);
  } else {
    let src = '';
    const p = pattern.slice(1);
    for (let i = 0; i < p.length; i++) {
      const c = p[i].toUpperCase();
      if (c === 'X') src += '[0-9]';
      else if (c === 'Z') src += '[1-9]';
      else if (c === 'N') src += '[2-9]';
      else if (c === '.') src += '[0-9*#+]+';
      else if (c === '!') src += '[0-9*#+]*';
      else if (c === '[') {
        const end = p.indexOf(']', i);
        src += `[${p.slice(i + 1, end)}]`;
        i = end;
      } else src += c.replace(/[+*]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`);
  }
  compiled.set(pattern, re);
  return re;
}

/**
 * Is this number one the system may dial? `number` is what would be dialed: digits, * and #, with
 * an optional leading + (callback numbers are normalised to that first).
 */
export function evaluate(number: string, policy: DestinationPolicy): Verdict {
  if (!/^\+?[0-9*#]+$/.test(number)) return { allowed: false, number, reason: 'not-a-number' };
  if (number.length > policy.maxLength) return { allowed: false, number, reason: 'too-long', rule: String(policy.maxLength) };
  const prefix = policy.deniedPrefixes.find((p) => number.startsWith(p));
  if (prefix !== undefined) return { allowed: false, number, reason: 'denied-prefix', rule: prefix };
  if (policy.allowedPatterns.length && !policy.allowedPatterns.some((p) => patternRegExp(p).test(number))) {
    return { allowed: false, number, reason: 'not-allowed-pattern' };
  }
  return { allowed: true, number };
}

/** A number a person would read: what each refusal means. */
export function describeRefusal(v: Extract<Verdict, { allowed: false }>): string {
  switch (v.reason) {
    case 'not-a-number': return `${JSON.stringify(v.number)} is not a number that can be dialed`;
    case 'too-long': return `${v.number} is longer than the ${v.rule} characters the outbound policy allows`;
    case 'denied-prefix': return `${v.number} starts with ${v.rule}, a prefix the outbound policy denies`;
    default: return `${v.number} matches none of the outbound policy's allowed patterns`;
  }
}
