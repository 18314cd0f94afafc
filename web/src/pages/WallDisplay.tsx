export function WallDisplay({ id }: { id: string }) { return <p>Coming {id}.</p>; }
