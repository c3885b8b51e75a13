/**
 * The REST API's OpenAPI 3.1 document, served at /api/openapi.json. The run request's properties
 * come from the same form fields as the page (src/ui/run-request.ts), so the document lists
 * exactly the options a request may set.
 */
import { TOOL } from '../cli/tool.js';
import { formFields } from './run-request.js';

const json = (schema: object, description = 'OK'): object => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const body = (properties: object): object => ({ required: true, content: { 'application/json': { schema: { type: 'object', properties } } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const problem = json(ref('Problem'), 'The request was refused: each problem names its field');

export function openApiDocument(): object {
  const props: Record<string, object> = {};
  for (const f of formFields()) {
    const item = { type: 'string', description: `${f.option}: ${f.help}`, ...(f.choices === undefined ? {} : { examples: f.choices }) };
    props[f.key] =
      f.kind === 'flag'
        ? { type: 'boolean', description: `${f.option}: ${f.help}`, default: f.default }
        : f.kind === 'list'
          ? { type: 'array', items: item, description: item.description }
          : { ...item, type: ['string', 'number'], ...(f.default === undefined ? {} : { default: f.default }) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'pgsurge', version: TOOL.version, description: 'Start, watch, change, stop and compare PostgreSQL load tests; the run history.' },
    components: {
      securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'required when the server listens off loopback' } },
      schemas: {
        RunRequest: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...props,
            scripts: {
              type: 'array',
              description: 'uploaded pgbench scripts, run beside the workloads (at most 16, 512 KB each; \\shell is refused)',
              items: {
                type: 'object',
                required: ['name', 'text'],
                properties: { name: { type: 'string' }, text: { type: 'string' }, weight: { type: 'integer' } },
              },
            },
            modules: {
              type: 'array',
              description:
                'uploaded workload modules (.ts, .mts, .js, .mjs; one file each, importing only pgsurge and Node built-ins), run beside the workloads; only where pgsurge ui runs with --allow-module-uploads (at most 16, 512 KB each)',
              items: {
                type: 'object',
                required: ['name', 'text'],
                properties: { name: { type: 'string' }, text: { type: 'string' }, weight: { type: 'integer' } },
              },
            },
          },
          description: "pgsurge run's options by their JSON names",
        },
        Problem: {
          type: 'object',
          properties: {
            error: { type: 'string' },
            problems: { type: 'array', items: { type: 'object', properties: { field: { type: ['string', 'null'] }, message: { type: 'string' } } } },
          },
        },
        Run: { type: 'object', description: 'a run: state, workload, target (no password), figures so far or at its end' },
        Event: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            type: { enum: ['run', 'interval', 'server', 'finding', 'stage', 'log', 'load', 'end'] },
            run: { type: 'string' },
            at: { type: 'string', format: 'date-time' },
            data: {},
          },
        },
      },
    },
    security: [{}, { token: [] }],
    paths: {
      '/api/runs': {
        get: {
          summary: 'runs of this process and of the history, newest first',
          parameters: ['workload', 'target', 'tag', 'status', 'since', 'until', 'limit'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
          responses: { 200: json({ type: 'object', properties: { runs: { type: 'array', items: ref('Run') } } }), 400: problem },
        },
        post: {
          summary: 'start a run (pgsurge ui only)',
          parameters: [{ name: 'concurrent', in: 'query', schema: { type: 'boolean' }, description: 'start even when a run is going to the same target' }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('RunRequest') } } },
          responses: { 201: json(ref('Run'), 'Started'), 400: problem, 403: problem, 409: problem },
        },
      },
      '/api/runs/{id}': {
        parameters: [idParam],
        get: { summary: 'one run', responses: { 200: json(ref('Run')), 404: problem } },
        delete: { summary: 'forget an ended run and delete it from the history', responses: { 204: { description: 'Deleted' }, 404: problem, 409: problem } },
      },
      '/api/runs/{id}/stop': {
        parameters: [idParam, { name: 'now', in: 'query', schema: { type: 'boolean' }, description: 'at once, without waiting for in-flight transactions' }],
        post: { summary: 'stop a run; it keeps what it measured', responses: { 202: json(ref('Run')), 404: problem, 409: problem } },
      },
      '/api/runs/{id}/adjust': {
        parameters: [idParam],
        post: {
          summary:
            "change a running load: its rate (open loop) or its active clients (closed loop), from now on; recorded as a stage in the result's loadChanges",
          requestBody: body({ rate: { type: ['string', 'number'] }, clients: { type: ['string', 'number'] }, group: { type: 'string' } }),
          responses: { 202: json({ type: 'object' }), 400: problem, 404: problem, 409: problem },
        },
      },
      '/api/runs/{id}/result.{format}': {
        parameters: [idParam, { name: 'format', in: 'path', required: true, schema: { enum: ['json', 'html', 'csv'] } }],
        get: {
          summary: 'the result (while the run goes on: so far, header x-pgsurge-partial: true)',
          responses: { 200: { description: 'The result as JSON (schema v1), the HTML report or the intervals as CSV' }, 404: problem },
        },
      },
      '/api/runs/{id}/view': {
        parameters: [idParam],
        get: { summary: "the report's view of the run (title, body HTML, chart data)", responses: { 200: json({ type: 'object' }), 404: problem } },
      },
      '/api/runs/{id}/events': {
        parameters: [idParam, { name: 'after', in: 'query', schema: { type: 'integer' } }],
        get: {
          summary: "a run's events after an id, after the fact",
          responses: { 200: json({ type: 'object', properties: { events: { type: 'array', items: ref('Event') } } }) },
        },
      },
      '/api/events': {
        get: {
          summary: 'live events as Server-Sent Events; a reconnect with Last-Event-ID (or ?after=) replays what it missed',
          parameters: [
            { name: 'run', in: 'query', schema: { type: 'string' } },
            { name: 'after', in: 'query', schema: { type: 'integer' } },
          ],
          responses: { 200: { description: 'text/event-stream of Event' } },
        },
      },
      '/api/compare': {
        post: {
          summary: "compare runs with pgsurge compare's noise-aware verdicts",
          requestBody: body({
            runs: { type: 'array', items: { type: 'string' }, description: 'each run its own side; the first is the baseline' },
            sides: { type: 'array', items: { type: 'array', items: { type: 'string' } }, description: 'repetitions per side; the first side is the baseline' },
          }),
          responses: { 200: json({ type: 'object' }), 400: problem },
        },
      },
      '/api/loads': {
        get: { summary: 'data loads of this process, newest first', responses: { 200: json({ type: 'object' }) } },
        post: {
          summary: "create and fill a built-in workload's data (pgsurge init) on a target; progress as `load` events",
          requestBody: body({
            workload: { type: 'string' },
            url: { type: 'string' },
            scale: { type: ['string', 'number'] },
            define: { type: 'array', items: { type: 'string' } },
          }),
          responses: { 201: json({ type: 'object' }, 'Started'), 400: problem, 403: problem },
        },
      },
      '/api/loads/{id}': {
        parameters: [idParam],
        get: { summary: 'one data load: stage, rows, rows/s, ETA', responses: { 200: json({ type: 'object' }), 404: problem } },
      },
      '/api/options': { get: { summary: 'the form: every option a run request may set', responses: { 200: json({ type: 'object' }) } } },
    },
  };
}
