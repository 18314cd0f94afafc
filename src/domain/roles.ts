/** The roles a user of the API has: admins hold every permission, supervisors and agents their role's defaults. */
export const ROLES = ['admin', 'supervisor', 'agent'] as const;
export type Role = (typeof ROLES)[number];
