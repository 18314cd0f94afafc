import { useEffect, useRef, useState } from 'react';
import type { AcdEvent, LiveStream } from './live';

/**
 * Live state folded from the event stream, with events applied in batches once per animation frame:
 * at a hundred events a second the page renders at most once a frame, not once an event.
 * `load` gives the picture on every (re)connect (REST, once: never a poll).
 */
export function useLiveState<S>(live: LiveStream, initial: S, load: () => Promise<S>, apply: (s: S, e: AcdEvent) => S): [S, (f: (s: S) => S) => void] {
  const [state, setState] = useState<S>(initial);
  const pending = useRef<AcdEvent[]>([]);
  const frame = useRef(0);
  const applyRef = useRef(apply);
  applyRef.current = apply;
  useEffect(() => {
    let alive = true;
    const offConnect = live.onConnect(() => {
      void load().then((s) => { if (alive) { pending.current = []; setState(s); } }, () => undefined);
    });
    const off = live.on((e) => {
      pending.current.push(e);
      if (frame.current) return;
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        const batch = pending.current;
        pending.current = [];
        setState((s) => batch.reduce((acc, ev) => applyRef.current(acc, ev), s));
        // benchmark instrumentation (npm run bench -- --web): the next frame is the one showing this batch
        const probe = (window as any).__acdBenchProbe as ((b: AcdEvent[], at: number) => void) | undefined;
        if (probe) requestAnimationFrame(() => probe(batch, Date.now()));
      });
    });
    return () => { alive = false; off(); offConnect(); cancelAnimationFrame(frame.current); frame.current = 0; };
  }, [live]);
  return [state, setState];
}
