/**
 * The library surface of pgsurge: what workload modules import.
 * `import { defineWorkload } from 'pgsurge'`.
 */
export { defineWorkload } from './workload/module/api.js';
export type {
  WorkloadDefinition,
  TransactionDefinition,
  StepDefinition,
  Random,
  Vars,
  Row,
  SetupDb,
  SetupContext,
  SetupSession,
  SetupProgress,
  ParamValue,
  OptionSpec,
  OptionsSpec,
  OptionValues,
} from './workload/module/api.js';
