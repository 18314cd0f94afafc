/** Callback requests are queue entries whose id says what they are: no channel, any controller may serve one. */
export const CALLBACK_PREFIX = 'cb-';
export const isCallback = (id: string) => id.startsWith(CALLBACK_PREFIX);
