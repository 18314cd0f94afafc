import type { FileConfig } from './schema';

/**
 * Secrets that ship with the repository (config/sample.yaml, docker/acd.example.yaml, the local
 * environment's and the tests' defaults) or that an operator is told to replace. Production mode
 * refuses every one of them, and anything that says it is a sample or a placeholder.
 */
const KNOWN_SAMPLES = new Set([
  'acd-local', 'acd-test', 'acd-bench', 'alice-sample-secret', 'bruno-sample-secret',
  'supervisor-sample-token-0001', 'agent1001-sample-token-0001', 'changeme', 'password', 'secret', 'admin',
]);
const PLACEHOLDER = /sample|change-?me|replace-?me|example|placeholder|^x+$|^1234/i;

export function isSampleSecret(value: string): boolean {
  return KNOWN_SAMPLES.has(value.toLowerCase()) || PLACEHOLDER.test(value);
}

/**
 * What production mode (NODE_ENV=production, as docker/controller sets it) needs before it starts:
 * operator-given secrets, none of the samples. Returns one problem per secret, naming where it is
 * and never its value (the problems are printed).
 */
export function productionSecretProblems(o: {
  ariUrl?: string; ariPassword?: string; adminToken?: string; file: FileConfig;
}): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (!o.ariUrl) problems.push({ path: 'ARI_URL', message: 'production mode needs an Asterisk to connect to; the embedded default is for development' });
  if (!o.ariPassword) problems.push({ path: 'ARI_PASSWORD', message: 'not set: give the ARI password of user acd' });
  else if (isSampleSecret(o.ariPassword) || o.ariPassword.length < 12) problems.push({ path: 'ARI_PASSWORD', message: 'a sample or weak password (12 characters at least, not a sample): choose your own' });
  if (!o.adminToken) problems.push({ path: 'ACD_ADMIN_TOKEN', message: 'not set: give the bootstrap admin\'s token (production mode never generates or prints one)' });
  else if (isSampleSecret(o.adminToken)) problems.push({ path: 'ACD_ADMIN_TOKEN', message: 'a sample or placeholder token: choose your own' });
  o.file.agents.forEach((a, i) => {
    if (a.phone.mode === 'register' && isSampleSecret(a.phone.password)) {
      problems.push({ path: `agents.${i}.phone.password`, message: `agent ${a.id}: a sample or placeholder phone password: give each phone its own` });
    }
  });
  o.file.users.forEach((u, i) => {
    if (u.token && isSampleSecret(u.token)) {
      problems.push({ path: `users.${i}.token`, message: `user ${u.user.id}: a sample or placeholder token: remove it (issue tokens through /users) or give your own, better as tokenSha256` });
    }
    if (u.password && isSampleSecret(u.password)) {
      problems.push({ path: `users.${i}.password`, message: `user ${u.user.id}: a sample or placeholder password: remove it (set passwords through /users) or give your own` });
    }
  });
  return problems;
}
