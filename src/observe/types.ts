/**
 * What the server observer records: start/end facts per host, one ServerSample per client interval
 * (same grid, same tS), and the findings of the diagnosis rules. These land in the result file
 * (`server`, `serverFacts`, `findings`); their schemas, and these types derived from them, live
 * with the result's schema (src/report/server-schema.ts), which imports nothing of observe or output.
 */
export type {
  BloatFacts,
  CgroupUsage,
  ClientUsage,
  ConnectionCounts,
  Finding,
  HostFacts,
  HostSample,
  IndexBloat,
  MachineUsage,
  OpenTransaction,
  PgpoolNode,
  PgpoolUsage,
  PoolerUsage,
  ProcessUsage,
  ReplicationPeer,
  ServerFacts,
  ServerSample,
  StandbyLag,
  TableBloat,
  TableFacts,
  TableSample,
  TopStatement,
  TransactionAges,
} from '../report/server-schema.js';
