import type { Agent } from '../config/schema';
import type { PjsipFields } from '../ari/types';
import { callerIdOf } from '../ari/callerId';

const f = (o: Record<string, string>): PjsipFields => Object.entries(o).map(([attribute, value]) => ({ attribute, value }));

// Mirrors [acd-media] in asterisk-config/pjsip.conf: pushed objects cannot use config templates.
const MEDIA = {
  disallow: 'all', allow: 'ulaw,alaw,gsm', direct_media: 'no', rtp_symmetric: 'yes', force_rport: 'yes',
  rewrite_contact: 'yes', '100rel': 'no', timers: 'no', dtmf_mode: 'rfc4733', send_pai: 'no', trust_id_outbound: 'yes',
};

/** The PJSIP objects of an agent's phone, in creation order (auth → aor → endpoint). */
export function pjsipObjects(agent: Agent): { type: 'auth' | 'aor' | 'endpoint'; fields: PjsipFields }[] {
  const objects: { type: 'auth' | 'aor' | 'endpoint'; fields: PjsipFields }[] = [];
  if (agent.phone.mode === 'register') {
    objects.push({ type: 'auth', fields: f({ auth_type: 'digest', username: agent.id, password: agent.phone.password }) });
    objects.push({ type: 'aor', fields: f({ max_contacts: '1', remove_existing: 'yes', qualify_frequency: '0' }) });
  } else {
    objects.push({ type: 'aor', fields: f({ contact: agent.phone.contact, max_contacts: '1', qualify_frequency: '0' }) });
  }
  objects.push({
    type: 'endpoint',
    fields: f({
      ...MEDIA,
      context: 'acd-agents',
      aors: agent.id,
      auth: agent.phone.mode === 'register' ? agent.id : '',
      callerid: callerIdOf(agent.name, agent.id),
    }),
  });
  return objects;
}
