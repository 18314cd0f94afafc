import type { CallFeature } from '../calls/core';
import type { RecordingService } from './recordingService';
import { recordingsRouter } from './routes';

export { RecordingService } from './recordingService';

/** Call recording: rides on the call's lifecycle (connected, ended); its routes. */
export function recordingFeature(recordings: RecordingService): CallFeature {
  return { name: 'recording', routes: () => recordingsRouter(recordings) };
}
