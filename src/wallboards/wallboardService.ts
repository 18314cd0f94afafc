import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AccessPolicy } from '../access/policy';
import { Principal, sha256 } from '../access/users';
import { Id } from '../config/schema';
import { AcdError, Conflict, Forbidden, Invalid, NotFound } from '../errors';
import type { MetricsService, QueueStats } from '../metrics/metricsService';
import type { Registry } from '../registry/registry';
import type { StateStore } from '../state/store';
import { parseOrThrow } from '../validation/parse';

/** What a wallboard can show, each for one or more queues. */
export const WIDGET_KINDS = ['callersWaiting', 'longestWait', 'serviceLevel', 'agentsByState', 'callsTodayByOutcome', 'dayChart'] as const;
export type WidgetKind = (typeof WIDGET_KINDS)[number];

const WidgetSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
  kind: z.enum(WIDGET_KINDS),
  title: z.string().max(80).optional(),
  queues: z.array(Id).min(1, 'choose at least one queue').max(50),
}).strict();
export const WallboardBody = z.object({
  name: z.string().trim().min(1, 'a wallboard needs a name').max(80),
  description: z.string().max(500).default(''),
  widgets: z.array(WidgetSchema).max(24, 'at most 24 widgets').default([]),
}).strict();

export interface Widget { id: string; kind: WidgetKind; title?: string; queues: string[] }
export interface Wallboard {
  id: string; name: string; description: string; widgets: Widget[];
  createdAt: number; createdBy: string; updatedAt: number;
}
export interface WallboardView extends Omit<Wallboard, 'createdAt' | 'updatedAt'> {
  createdAt: string; updatedAt: string; archived: boolean; archivedAt: string | null; url: string;
}

export class DisplayTokenInvalid extends AcdError {
  constructor() { super(401, 'DISPLAY_TOKEN_INVALID', 'this display token is unknown or was revoked'); }
}

export const queuesOf = (w: Wallboard) => [...new Set(w.widgets.flatMap((x) => x.queues))].sort();

/**
 * Wallboards in Redis (shared by all controllers): admins and supervisors build them from widgets on
 * the queues they may see. A display token is a read-only key to one wallboard's figures, for the TV
 * that keeps its URL open; it is no user token and reads nothing else.
 */
export class WallboardService {
  constructor(private readonly state: StateStore, private readonly registry: Registry, private readonly policy: AccessPolicy,
    private readonly metrics: MetricsService) {}

  async list(u: Principal, o: { archived?: boolean } = {}): Promise<WallboardView[]> {
    const [all, archived] = await Promise.all([this.state.wallboardAll<Wallboard>(), this.state.wallboardsArchived()]);
    return all.filter((w) => this.canSee(u, w)).map((w) => view(w, archived[w.id]))
      .filter((w) => o.archived === undefined || w.archived === o.archived)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(u: Principal, id: string): Promise<WallboardView> {
    const w = await this.record(u, id);
    return view(w, (await this.state.wallboardsArchived())[id]);
  }

  async create(u: Principal, body: unknown): Promise<WallboardView> {
    const b = this.validate(u, body);
    const now = Date.now();
    const w: Wallboard = { id: `wb-${randomBytes(5).toString('hex')}`, ...b, createdAt: now, createdBy: u.id, updatedAt: now };
    const r = await this.state.wallboardPut(w.id, w, 'create', u.id);
    if (!r.ok) throw new Conflict('WALLBOARD_EXISTS', `wallboard ${w.id} exists`);
    return view(w);
  }

  async replace(u: Principal, id: string, body: unknown): Promise<WallboardView> {
    const old = await this.record(u, id);
    const b = this.validate(u, body);
    const w: Wallboard = { ...old, ...b, updatedAt: Date.now() };
    const r = await this.state.wallboardPut(id, w, 'replace', u.id);
    if (!r.ok) throw new NotFound('wallboard', id);
    return view(w, (await this.state.wallboardsArchived())[id]);
  }

  async archive(u: Principal, id: string, archived: boolean): Promise<WallboardView> {
    await this.record(u, id);
    const r = await this.state.wallboardArchive(id, archived, u.id);
    if (!r.ok && r.code === 'NOT_FOUND') throw new NotFound('wallboard', id);
    return this.get(u, id);
  }

  async remove(u: Principal, id: string): Promise<void> {
    await this.record(u, id);
    const r = await this.state.wallboardDelete(id, u.id);
    if (!r.ok) throw new NotFound('wallboard', id);
  }

  /** A new display token: the only time it is shown. The URL is what the TV opens. */
  async issueDisplay(u: Principal, id: string, body: unknown): Promise<{ tokenId: string; token: string; url: string }> {
    await this.record(u, id);
    const p = parseOrThrow(z.object({ label: z.string().max(80).default('') }).strict(), body, 'display token request');
    const token = randomBytes(24).toString('base64url');
    const tokenId = randomUUID();
    const r = await this.state.wallboardDisplayIssue(id, tokenId, sha256(token), p.label, u.id);
    if (!r.ok) throw r.code === 'NOT_FOUND' ? new NotFound('wallboard', id) : new Conflict('DISPLAY_TOKEN_NOT_ISSUED', r.code);
    return { tokenId, token, url: `/wall/${encodeURIComponent(id)}?token=${token}` };
  }

  async displays(u: Principal, id: string) {
    await this.record(u, id);
    return (await this.state.wallboardDisplays(id)).map((d) => ({ ...d, createdAt: new Date(d.createdAt).toISOString() }));
  }

  async revokeDisplay(u: Principal, id: string, tokenId: string): Promise<void> {
    await this.record(u, id);
    const r = await this.state.wallboardDisplayRevoke(id, tokenId, u.id);
    if (!r.ok) throw new AcdError(404, 'DISPLAY_TOKEN_NOT_FOUND', `no display token ${tokenId} on wallboard ${id}`, { id: tokenId });
  }

  /** What a display token may read: its wallboard and that wallboard's queue figures, nothing else. */
  async displayRead(token: string | undefined): Promise<{ tokenId: string; wallboard: WallboardView; stats: QueueStats[]; queues: { id: string; name: string }[] }> {
    const t = token ? await this.state.wallboardDisplayLookup(sha256(token)) : undefined;
    if (!t) throw new DisplayTokenInvalid();
    const w = await this.state.wallboardGet<Wallboard>(t.wallboardId);
    if (!w) throw new DisplayTokenInvalid();
    const archivedAt = (await this.state.wallboardsArchived())[w.id];
    if (archivedAt) throw new Conflict('WALLBOARD_ARCHIVED', `wallboard ${w.id} is archived`);
    const ids = queuesOf(w).filter((q) => this.registry.findQueue(q));
    return {
      tokenId: t.tokenId, wallboard: view(w), stats: await Promise.all(ids.map((q) => this.metrics.queueStats(q))),
      queues: ids.map((q) => ({ id: q, name: this.registry.findQueue(q)!.name })),
    };
  }

  private async record(u: Principal, id: string): Promise<Wallboard> {
    const w = await this.state.wallboardGet<Wallboard>(id);
    if (!w) throw new NotFound('wallboard', id);
    if (!this.canSee(u, w)) throw new Forbidden(`wallboard ${id} shows queues you do not supervise`);
    return w;
  }

  /** Supervisors see a wallboard when they may see every queue on it. */
  private canSee(u: Principal, w: Wallboard): boolean {
    return u.role !== 'agent' && queuesOf(w).every((q) => this.policy.canQueue(u, q));
  }

  private validate(u: Principal, body: unknown): Omit<Wallboard, 'id' | 'createdAt' | 'createdBy' | 'updatedAt'> {
    const p = parseOrThrow(WallboardBody, body, 'wallboard');
    const issues: { path: string; message: string }[] = [];
    p.widgets.forEach((w, i) => w.queues.forEach((q, j) => {
      if (!this.registry.findQueue(q)) issues.push({ path: `widgets.${i}.queues.${j}`, message: `unknown queue ${q}` });
      else if (!this.policy.canQueue(u, q)) issues.push({ path: `widgets.${i}.queues.${j}`, message: `queue ${q} is not one you supervise` });
    }));
    if (issues.length) throw new Invalid('invalid wallboard', issues);
    const used = new Set<string>();
    const widgets = p.widgets.map((w, i) => {
      let id = w.id && !used.has(w.id) ? w.id : `w${i + 1}`;
      while (used.has(id)) id = `${id}-${i}`;
      used.add(id);
      return { ...w, id };
    });
    return { name: p.name, description: p.description, widgets };
  }
}

function view(w: Wallboard, archivedAt?: number): WallboardView {
  return {
    ...w, createdAt: new Date(w.createdAt).toISOString(), updatedAt: new Date(w.updatedAt).toISOString(),
    archived: Boolean(archivedAt), archivedAt: archivedAt ? new Date(archivedAt).toISOString() : null, url: `/wall/${encodeURIComponent(w.id)}`,
  };
}
