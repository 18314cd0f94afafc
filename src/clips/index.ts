import type { CallFeature } from '../calls/core';
import type { ClipService } from './clipService';
import { clipsRouter } from './routes';

export { ClipService } from './clipService';
export { MAX_CLIP_BYTES } from './limits';

/** Prepared clips: their routes (the clip library, playing one into a call); playbacks through the media waiter. */
export function clipsFeature(clips: ClipService): CallFeature {
  return { name: 'clips', routes: () => clipsRouter(clips) };
}
