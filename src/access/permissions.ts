import type { Role } from '../domain/roles';

/**
 * The product's permission set. Supervisors and agents get the defaults of their role, changed per
 * user; admins hold everything. Viewing queue configuration needs no permission: everyone may.
 */
export const PERMISSIONS = {
  // supervisor permissions
  configAccess: 'access to the configuration (agent registry)',
  limitToAssignedQueues: 'see and act only on the queues one supervises (and their agents)',
  manageQueues: 'manage queue configuration',
  viewPauseReasons: 'view pause reasons',
  managePauseReasons: 'manage pause reasons',
  viewSkills: 'view skills and their assignment',
  manageSkills: 'manage skills and their assignment',
  monitorProtected: 'monitor agents protected from monitoring',
  accessRecordings: 'list and download call recordings',
  viewReports: 'view history reports and exports (within the queues one supervises)',
  // agent permissions
  manageOwnClips: 'manage one\'s own prepared audio clips',
  managePublicCannedMessages: 'manage public canned messages',
  createTags: 'create custom tags',
  useDispositions: 'use dispositions',
} as const;
export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

const DEFAULTS: Record<Role, Partial<Record<Permission, boolean>>> = {
  admin: Object.fromEntries(PERMISSION_NAMES.map((p) => [p, p !== 'limitToAssignedQueues'])),
  supervisor: { limitToAssignedQueues: true, viewPauseReasons: true, viewSkills: true, viewReports: true },
  agent: { manageOwnClips: true, createTags: true, useDispositions: true },
};

export function effectivePermissions(role: Role, overrides: Partial<Record<Permission, boolean>> = {}): Record<Permission, boolean> {
  // an admin's rights are not reduced by overrides: admin is the role that can always repair access
  const merged = role === 'admin' ? DEFAULTS.admin : { ...DEFAULTS[role], ...overrides };
  return Object.fromEntries(PERMISSION_NAMES.map((p) => [p, Boolean(merged[p])])) as Record<Permission, boolean>;
}
