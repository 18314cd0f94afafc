/** The dialable form of a number people typed: digits, with the leading + kept. */
export function dialable(number: string): string {
  return (number.startsWith('+') ? '+' : '') + number.replace(/\D/g, '');
}

/** The channel endpoint for a customer number, from the configured outbound dial template. */
export function dialString(template: string, number: string): string {
  return template.replace('{number}', dialable(number));
}
