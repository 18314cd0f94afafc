export function SupervisorDashboard() { return <p>Coming.</p>; }
