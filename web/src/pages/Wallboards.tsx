export function Wallboards({ path }: { path: string }) { return <p>Coming {path}.</p>; }
