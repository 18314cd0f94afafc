import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { QueueStats } from './pages/AgentDashboard';
import { duration, percent } from './format';

export const WIDGET_LABELS: Record<string, string> = {
  callersWaiting: 'Callers waiting', longestWait: 'Longest wait', serviceLevel: 'Service level',
  agentsByState: 'Agents by state', callsTodayByOutcome: 'Calls today by outcome', dayChart: 'Chart of the day',
};
export interface Widget { id: string; kind: string; title?: string; queues: string[] }
export interface Sample { t: number; waiting: number; answered: number; abandoned: number }

const sum = (xs: (QueueStats | undefined)[], f: (s: QueueStats) => number) => xs.reduce((n, s) => n + (s ? f(s) : 0), 0);

/** One widget's figures, over its queues (summed; service level over all their answered calls). */
export function WidgetView({ w, stats, now, samples }: { w: Widget; stats: Record<string, QueueStats>; now: number; samples: Sample[] }) {
  const qs = w.queues.map((q) => stats[q]);
  let body;
  switch (w.kind) {
    case 'callersWaiting': body = <div className="big" data-testid="callers-waiting">{sum(qs, (s) => s.waiting.callers)}</div>; break;
    case 'longestWait': {
      const oldest = qs.map((s) => s?.waiting.oldestEnqueuedAt).filter(Boolean).map((t) => Date.parse(t!));
      body = <div className="big">{oldest.length ? duration(now - Math.min(...oldest)) : '0:00'}</div>;
      break;
    }
    case 'serviceLevel': {
      const answered = sum(qs, (s) => s.today.answered);
      const within = sum(qs, (s) => (s.today as any).answeredWithinSl ?? 0);
      body = <div className="big">{answered ? percent((100 * within) / answered) : '–'}</div>;
      break;
    }
    case 'agentsByState': body = (
      <dl className="figures">
        {([['Ready', 'ready'], ['Ringing', 'ringing'], ['On call', 'onCall'], ['Wrap-up', 'wrapUp'], ['Paused', 'paused'], ['Logged in', 'loggedIn']] as const)
          .map(([label, k]) => <div key={k}><dt>{label}</dt><dd>{sum(qs, (s) => s.agents[k])}</dd></div>)}
      </dl>); break;
    case 'callsTodayByOutcome': body = (
      <dl className="figures">
        {([['Answered', 'answered'], ['Abandoned', 'abandoned'], ['Timed out', 'timedOut'], ['Overflowed', 'overflowed'], ['Callback requests', 'callbackRequests']] as const)
          .map(([label, k]) => <div key={k}><dt>{label}</dt><dd>{sum(qs, (s) => Number((s.today as any)[k] ?? 0))}</dd></div>)}
      </dl>); break;
    case 'dayChart': body = <DayChart samples={samples} />; break;
    default: body = <p>Unknown widget {w.kind}</p>;
  }
  return (
    <section className="widget" data-testid={`widget-${w.kind}`} aria-label={w.title || WIDGET_LABELS[w.kind]}>
      <h2>{w.title || WIDGET_LABELS[w.kind]}</h2>
      {body}
    </section>
  );
}

/** Callers waiting and calls answered / abandoned through the day, from the figures the screen received. */
function DayChart({ samples }: { samples: Sample[] }) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const width = el.current.clientWidth || 600;
    plot.current = new uPlot({
      width, height: Math.max(160, Math.round(width * 0.4)),
      series: [{}, { label: 'Waiting', stroke: '#ffb703', width: 2 }, { label: 'Answered', stroke: '#8ecae6', width: 2 }, { label: 'Abandoned', stroke: '#e76f51', width: 2 }],
      axes: [{ stroke: '#9fb3ff', grid: { stroke: '#2c3e6b' } }, { stroke: '#9fb3ff', grid: { stroke: '#2c3e6b' } }],
      // the whole of today, midnight to midnight in the screen's time zone
      scales: { x: { time: true, range: () => { const d = new Date(); d.setHours(0, 0, 0, 0); return [d.getTime() / 1000, d.getTime() / 1000 + 86400]; } } },
    }, [[], [], [], []], el.current);
    return () => { plot.current?.destroy(); plot.current = null; };
  }, []);
  useEffect(() => {
    plot.current?.setData([samples.map((s) => s.t / 1000), samples.map((s) => s.waiting), samples.map((s) => s.answered), samples.map((s) => s.abandoned)]);
  }, [samples]);
  return <div ref={el} className="day-chart" />;
}
