export function Admin({ section }: { section: string }) { return <p>Coming {section}.</p>; }
