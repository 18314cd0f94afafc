/** Why a phone number given for a campaign (API or CSV cell) is refused: a stable code and a sentence. */
export interface Refusal { code: 'EMPTY' | 'INVALID_CHARACTERS' | 'TOO_SHORT' | 'TOO_LONG' | 'MISPLACED_PLUS'; reason: string }

export const MAX_DIGITS = 20;
export const MIN_DIGITS = 3;

/**
 * A contact's phone number as a CRM exports it: only digits and ( ) + - . (and spaces between
 * them) are accepted; the normalized form keeps the digits and a leading +. Nothing else reaches a
 * dial string.
 */
export function normalizeNumber(raw: string): { ok: true; number: string } | { ok: false; refusal: Refusal } {
  const v = raw.trim();
  if (!v) return { ok: false, refusal: { code: 'EMPTY', reason: 'the phone number is empty' } };
  if (!/^[0-9()+\-. ]+$/.test(v)) return { ok: false, refusal: { code: 'INVALID_CHARACTERS', reason: 'only digits and ( ) + - . are accepted' } };
  if (v.slice(1).includes('+')) return { ok: false, refusal: { code: 'MISPLACED_PLUS', reason: 'a + only at the start' } };
  const digits = v.replace(/\D/g, '');
  if (digits.length > MAX_DIGITS) return { ok: false, refusal: { code: 'TOO_LONG', reason: `more than ${MAX_DIGITS} digits` } };
  if (digits.length < MIN_DIGITS) return { ok: false, refusal: { code: 'TOO_SHORT', reason: `fewer than ${MIN_DIGITS} digits` } };
  return { ok: true, number: (v.startsWith('+') ? '+' : '') + digits };
}
