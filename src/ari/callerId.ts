/**
 * A caller-ID string for an originate: `"<name>" <<number>>`. The name comes from configuration or a
 * caller, so quotes are dropped: one inside would end the display name early and let the rest be read
 * as a URI.
 */
export function callerIdOf(name: string, number: string): string {
  return `"${name.replace(/"/g, '')}" <${number}>`;
}
