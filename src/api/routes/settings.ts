import { Router } from 'express';
import type { Registry } from '../../registry/registry';
import { Forbidden } from '../../errors';
import { allow, userOf } from '../auth';

/**
 * Organisation-wide settings, shared by every controller through Redis. Staff read them; changing
 * them is configuration: admins, and supervisors with configAccess.
 */
export function settingsRouter(registry: Registry): Router {
  const r = Router();
  r.get('/settings', allow('admin', 'supervisor'), async (_req, res) => {
    res.json(await registry.settings());
  });
  r.put('/settings', async (req, res) => {
    const u = userOf(req);
    if (u.role === 'agent' || !u.permissions.configAccess) throw new Forbidden('changing the settings needs the configAccess permission');
    res.json(await registry.replaceSettings(req.body));
  });
  return r;
}
