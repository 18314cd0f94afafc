/**
 * Is this an IANA time-zone name Node knows (Europe/Paris)?  Here, below both config/ (which checks
 * ACD_TIMEZONE) and metrics/ (which counts days in that zone), so neither imports the other.
 */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
