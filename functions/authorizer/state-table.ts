import type { StateTable } from '../../shared/ports/state-table';
import { awsStateTable } from '../runtime/aws-ports';
import { type AwsPorts, getDependencies } from '../runtime/dependencies';

/** The AWS adapters this function uses (functions/runtime/aws-ports.ts); nothing else is bundled. */
const AWS_PORTS: AwsPorts = { stateTable: awsStateTable };

/** The element-token index lives in the state table; getDependencies() is memoized per process. */
export const authorizerStateTable = async (): Promise<StateTable> =>
  (await getDependencies(AWS_PORTS)).stateTable;
