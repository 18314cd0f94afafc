import { lazy, ReactNode, Suspense } from 'react';

// The supervisor's campaign pages load when first opened: the app's first load (sign-in to a live
// dashboard) does not carry them.
export const CampaignsRoute = lazy(() => import('./Campaigns'));
export const MissedCalls = lazy(() => import('./MissedCalls'));

export function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<p className="loading">Loading…</p>}>{children}</Suspense>;
}
