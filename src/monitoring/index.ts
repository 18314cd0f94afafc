import type { CallFeature } from '../calls/core';
import type { MonitorService } from './monitorService';
import { monitorsRouter } from './routes';

export { MonitorService } from './monitorService';

/** Listen, whisper, barge: the Snoop and supervisor legs (Stasis kinds 'snoop', 'monitor') and the routes. */
export function monitoringFeature(monitors: MonitorService): CallFeature {
  return { name: monitors.name, roles: monitors.roles, stasis: monitors.stasis, channelGone: monitors.channelGone, routes: () => monitorsRouter(monitors) };
}
