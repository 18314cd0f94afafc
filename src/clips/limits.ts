/** Larger uploads are refused before they are read. 5 MB is about 5 minutes at 8 kHz. */
export const MAX_CLIP_BYTES = 5 * 1024 * 1024;
