import { z } from 'zod';

/** What people type into a web form: digits and ( ) + - . only, 3 to 20 digits. */
export const CallbackNumber = z.string()
  .regex(/^[0-9()+\-.]+$/, 'digits and ( ) + - . only')
  .refine((n) => { const d = n.replace(/\D/g, '').length; return d >= 3 && d <= 20; }, 'between 3 and 20 digits')
  .refine((n) => !n.slice(1).includes('+'), 'a + only at the start');
