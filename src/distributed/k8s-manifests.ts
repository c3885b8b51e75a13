/**
 * The Kubernetes objects of a sharded run (`pgsurge k8s`): an Indexed Job whose pods are the parts
 * (`JOB_COMPLETION_INDEX` + 1 is the part), a coordinator (a Job of one pod, and a Service the parts
 * dial), a Secret with the coordinator's token, and a ConfigMap with the run's files. Plain objects
 * of the Kubernetes API; nothing here reads files or talks to a cluster.
 *
 * The target's password is never in them: every part takes the PG* variables of a Secret the user
 * creates (`envFrom`): PGPASSWORD beside a --url (given without its password), or all of them.
 * Each pod runs `sh -c 'exec COMMAND run ...'`, so the part number and the coordinator's address
 * come from the environment and the command is the same text in every pod (and in the local
 * stand-in the tests run, which sets the same variables).
 */
import { shellQuote } from '../util/shell-quote.js';

export interface K8sPlan {
  /** DNS-1123 label: the parts' Job, and the prefix of every other object. */
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly image: string;
  /** How pgsurge starts in the image (`npx -y pgsurge@VERSION`, or `pgsurge` in an image of one's own). */
  readonly command: string;
  readonly parts: number;
  /** `run` arguments every part and the coordinator share (workloads included, files at their mounted paths). */
  readonly runArgs: readonly string[];
  readonly runId: string;
  /** The run's files by name, mounted at INPUTS_DIR in every pod. */
  readonly files: ReadonlyMap<string, string>;
  /** The user's Secret with the target's PG* variables (PGPASSWORD at least, unless the target needs none). */
  readonly secret: string;
  /** The Secret may be missing: the target is given by a --url, and may need no password (trust, certificates). */
  readonly secretOptional: boolean;
  readonly port: number;
  readonly metricsPort: number;
  /** How long the coordinator serves the merged result after the run. */
  readonly linger: string;
  /** The coordinator's token (parts must present it). */
  readonly token: string;
  /** Parts on different nodes (required anti-affinity on the node's hostname). */
  readonly antiAffinity: boolean;
  /** Requests and limits of each part's container, e.g. "2" and "1Gi". */
  readonly cpu?: string | undefined;
  readonly memory?: string | undefined;
  /** The pgsurge version that printed the manifests (a label). */
  readonly version: string;
}

export const INPUTS_DIR = '/pgsurge/inputs';

type Obj = Record<string, unknown>;

/** The names of a run's objects, for the commands a user types next. */
export const objectNames = (name: string): { parts: string; coordinator: string; token: string; inputs: string } => ({
  parts: name,
  coordinator: `${name}-coordinator`,
  token: `${name}-token`,
  inputs: `${name}-inputs`,
});

export function k8sManifests(plan: K8sPlan): Obj[] {
  const names = objectNames(plan.name);
  const meta = (name: string, role?: string): Obj => ({
    name,
    ...(plan.namespace === undefined ? {} : { namespace: plan.namespace }),
    labels: labels(plan, role),
  });
  const hasFiles = plan.files.size > 0;
  const coordinatorUrl = `http://${names.coordinator}${plan.namespace === undefined ? '' : `.${plan.namespace}.svc`}:${plan.port}`;
  const tokenEnv = { name: 'PGSURGE_COORDINATOR_TOKEN', valueFrom: { secretKeyRef: { name: names.token, key: 'token' } } };
  // npx needs a writable cache whatever user the image runs as.
  const npmEnv = [
    { name: 'HOME', value: '/tmp' },
    { name: 'npm_config_cache', value: '/tmp/.npm' },
    { name: 'npm_config_update_notifier', value: 'false' },
  ];
  const podExtras: Obj = {
    ...(hasFiles ? { volumes: [{ name: 'inputs', configMap: { name: names.inputs } }] } : {}),
    // The Node.js image's own unprivileged user; an image of one's own keeps its user.
    ...(plan.image.startsWith('node:') ? { securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true } } : {}),
  };
  const securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  const resources =
    plan.cpu === undefined && plan.memory === undefined
      ? undefined
      : {
          requests: { ...(plan.cpu === undefined ? {} : { cpu: plan.cpu }), ...(plan.memory === undefined ? {} : { memory: plan.memory }) },
          limits: { ...(plan.cpu === undefined ? {} : { cpu: plan.cpu }), ...(plan.memory === undefined ? {} : { memory: plan.memory }) },
        };
  const args = plan.runArgs.map(shellQuote).join(' ');
  const partCommand = `exec ${plan.command} run ${args} --run-id ${shellQuote(plan.runId)} --shard "$((JOB_COMPLETION_INDEX + 1))/${plan.parts}" --coordinator "$PGSURGE_COORDINATOR"`;
  const coordinatorCommand = `exec ${plan.command} run ${args} --parts ${plan.parts} --parts-listen 0.0.0.0:${plan.port} --prometheus 0.0.0.0:${plan.metricsPort} --linger ${shellQuote(plan.linger)}`;

  const objects: Obj[] = [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta(names.token),
      type: 'Opaque',
      stringData: { token: plan.token },
    },
  ];
  if (hasFiles)
    objects.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta(names.inputs),
      data: Object.fromEntries(plan.files),
    });
  objects.push(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.coordinator, 'coordinator'),
      spec: {
        selector: { ...selector(plan), 'pgsurge.dev/role': 'coordinator' },
        ports: [
          { name: 'parts', port: plan.port, targetPort: plan.port, protocol: 'TCP' },
          { name: 'metrics', port: plan.metricsPort, targetPort: plan.metricsPort, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(names.coordinator, 'coordinator'),
      spec: {
        completions: 1,
        parallelism: 1,
        // Its exit code is the run's verdict: never run it twice.
        backoffLimit: 0,
        template: {
          metadata: {
            labels: labels(plan, 'coordinator'),
            annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(plan.metricsPort), 'prometheus.io/path': '/metrics' },
          },
          spec: {
            restartPolicy: 'Never',
            ...podExtras,
            containers: [
              {
                name: 'coordinator',
                image: plan.image,
                command: ['sh', '-c', coordinatorCommand],
                env: [tokenEnv, ...npmEnv],
                ports: [
                  { name: 'parts', containerPort: plan.port },
                  { name: 'metrics', containerPort: plan.metricsPort },
                ],
                readinessProbe: { httpGet: { path: '/healthz', port: plan.port }, periodSeconds: 2 },
                ...(hasFiles ? { volumeMounts: [{ name: 'inputs', mountPath: INPUTS_DIR, readOnly: true }] } : {}),
                securityContext,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta(names.parts, 'part'),
      spec: {
        completionMode: 'Indexed',
        completions: plan.parts,
        parallelism: plan.parts,
        // A part is never run again (a second copy of its share: the coordinator would refuse it),
        // and one that fails does not end the others (they finish; the merge names what is missing).
        backoffLimitPerIndex: 0,
        maxFailedIndexes: plan.parts,
        template: {
          metadata: { labels: labels(plan, 'part') },
          spec: {
            restartPolicy: 'Never',
            ...podExtras,
            ...(plan.antiAffinity
              ? {
                  affinity: {
                    podAntiAffinity: {
                      requiredDuringSchedulingIgnoredDuringExecution: [
                        { labelSelector: { matchLabels: { ...selector(plan), 'pgsurge.dev/role': 'part' } }, topologyKey: 'kubernetes.io/hostname' },
                      ],
                    },
                  },
                }
              : {}),
            containers: [
              {
                name: 'part',
                image: plan.image,
                command: ['sh', '-c', partCommand],
                env: [{ name: 'PGSURGE_COORDINATOR', value: coordinatorUrl }, tokenEnv, ...npmEnv],
                envFrom: [{ secretRef: { name: plan.secret, optional: plan.secretOptional } }],
                ...(hasFiles ? { volumeMounts: [{ name: 'inputs', mountPath: INPUTS_DIR, readOnly: true }] } : {}),
                securityContext,
                ...(resources === undefined ? {} : { resources }),
              },
            ],
          },
        },
      },
    },
  );
  return objects;
}

const selector = (plan: K8sPlan): Record<string, string> => ({ 'app.kubernetes.io/name': 'pgsurge', 'pgsurge.dev/run': plan.name });

const labels = (plan: K8sPlan, role?: string): Record<string, string> => ({
  ...selector(plan),
  'app.kubernetes.io/version': plan.version.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63),
  ...(role === undefined ? {} : { 'pgsurge.dev/role': role }),
});
