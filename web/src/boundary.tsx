import { Component, ReactNode } from 'react';

/** A page that fails to render says so, instead of leaving the screen blank; the rest of the app stays. */
export class PageBoundary extends Component<{ children: ReactNode; page: string }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) { return { error }; }
  componentDidUpdate(prev: { page: string }) { if (prev.page !== this.props.page && this.state.error) this.setState({ error: null }); }
  render() {
    if (this.state.error) return <section role="alert" className="error"><h1>This page failed</h1><p>{this.state.error.message}</p></section>;
    return this.props.children;
  }
}
