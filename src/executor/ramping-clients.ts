/**
 * Closed loop with a ramping number of clients (--stages of clients; k6's ramping-vus): every
 * client is connected from the start, and at time t the clients with `id - clientIdBase` below the
 * ramp's value run, the others park until the ramp reaches them (checked on each sweep, every
 * 100 ms). The value moves linearly within a stage, from the previous stage's target (0 at first).
 *
 * Shares of a run keep the group's targets: a shard's client ids are every N-th of the group's
 * (share.ts), so comparing a client's id with the whole ramp's value gives each shard exactly its
 * part of the target, with no rounding between shards.
 *
 * A retarget replaces the rest of the ramp: that many clients from then on.
 */
import type { Stage } from '../config/units.js';
import type { ExecClient, Executor, ExecutorDef, ExecutorHost } from './types.js';

export interface RampingClientsConfig {
  readonly kind: 'ramping-clients';
  /** The stages' total length. */
  readonly durationMs: number;
  readonly stages: readonly Stage[];
}

/** Active clients `tMs` after the ramp's start. */
export function rampValue(stages: readonly Stage[], tMs: number): number {
  let t = tMs;
  let from = 0;
  for (const st of stages) {
    if (t < st.durationMs) return Math.round(from + ((st.target - from) * t) / st.durationMs);
    t -= st.durationMs;
    from = st.target;
  }
  return Math.round(from);
}

class RampingClientsExecutor implements Executor {
  /** Set by a retarget: active clients from then on, instead of the ramp. */
  private fixed = -1;

  constructor(
    private readonly config: RampingClientsConfig,
    private readonly host: ExecutorHost,
  ) {}

  private activeAt(nowUs: number): number {
    return this.fixed >= 0 ? this.fixed : rampValue(this.config.stages, (nowUs - this.host.loadStartUs) / 1000);
  }

  begin(nowUs: number): void {
    for (const c of this.host.clients) this.clientFree(c, nowUs);
  }

  clientFree(c: ExecClient, nowUs: number): void {
    const host = this.host;
    if (nowUs < host.loadStartUs) return; // a scenario that starts later: begin starts its clients
    if (nowUs >= host.endUs) return; // past the end, before its timer has run
    if (c.id - host.clientIdBase >= this.activeAt(nowUs)) return; // parked until the ramp reaches it (sweep)
    if (nowUs >= host.measureStartUs) host.recorder.arrival();
    c.start(host.pickType(), nowUs, nowUs);
  }

  sweep(nowUs: number): void {
    const host = this.host;
    const active = this.activeAt(nowUs);
    // wake() starts only clients that are idle and connected: those the ramp had parked.
    for (const c of host.clients) if (c.id - host.clientIdBase < active) host.wake(c);
  }

  adjust(target: number): void {
    this.fixed = Math.max(0, Math.round(target));
  }

  stop(): void {}
}

export const rampingClients: ExecutorDef<RampingClientsConfig> = {
  kind: 'ramping-clients',
  openLoop: false,
  targetKind: 'clients',
  validate: (c) => (c.stages.length === 0 ? ['client stages: at least one stage'] : []),
  describe: (_c, clients) => `${clients} client${clients === 1 ? '' : 's'} (ramping)`,
  forPass: (c, passMs) => ({ ...c, durationMs: passMs }),
  share: (c) => c,
  create: (c, host) => new RampingClientsExecutor(c, host),
};
