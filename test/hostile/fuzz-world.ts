/**
 * The product as the fuzz suite sees it: local mode's server with every port (state table, secrets,
 * blobs, both queues) and the ServiceNow simulator, plus a count of every write any of them took, so
 * "a 4xx changed nothing" is one comparison per request. Nothing consumes the queues: a message sent
 * is a write, and no background work runs between two requests.
 */
import { type LocalServerHandle, startLocalServer } from '../../functions/local';
import type { Dependencies } from '../../functions/runtime/dependencies';
import {
  createLocalBlobStore,
  createLocalQueue,
  createLocalSecretStore,
  createLocalStateTable,
} from '../../shared/adapters/local';
import type { InstanceDeps } from '../../shared/instances';
import { createLogger } from '../../shared/logging';
import { makeTempDir } from '../adapters/temp-dir';
import { localServerEnv, localTestDependencies } from '../helpers/element-stack';
import { ALICE, aliceAuth, basicBody, hubAuth, ORG } from '../instances/harness';
import { type SimulatorHandle, startSimulator } from '../simulator';

/** Method names of the ports that change something (everything else reads). */
const WRITES = /^(put|update|delete|create|upload|complete|abort|send)/;

export interface FuzzWorld {
  api: string;
  sim: SimulatorHandle;
  /** Writes to our ports plus successful writes ServiceNow took, since the start. */
  writes(): number;
  /** What the last writes were (for a failure message). */
  lastWrites(): string[];
  instanceId: number;
  token: string;
  incidentId: string;
  /** An attachment of the incident. */
  attachmentId: string;
  jobId: string;
  platformAuth: string;
  hubAuth(): string;
  /** Puts the fixtures back after a request that legitimately deleted or disabled them. */
  repair(): Promise<void>;
  close(): Promise<void>;
}

export const startFuzzWorld = async (): Promise<FuzzWorld> => {
  const temp = await makeTempDir('fuzz');
  // Every request stays in the log: ServiceNow writes are counted from it.
  const sim = await startSimulator({ data: false, requestLogLimit: 10_000_000 });
  let portWrites = 0;
  const recent: string[] = [];
  const counted = <T extends object>(name: string, port: T): T =>
    new Proxy(port, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || typeof property !== 'string' || !WRITES.test(property)) {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        // Counted once it succeeded: a conditional write that was refused changed nothing.
        return (...args: unknown[]) => {
          const record = () => {
            portWrites++;
            recent.push(`${name}.${property}(${JSON.stringify(args[0])?.slice(0, 120)})`);
            if (recent.length > 20) recent.shift();
          };
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) {
            record();
            return result;
          }
          return result.then((settled: unknown) => {
            record();
            return settled;
          });
        };
      },
    });
  const stateTable = createLocalStateTable({ dataDir: temp.dir });
  const eventsQueue = createLocalQueue({ name: 'fuzz-events' });
  const bulkQueue = createLocalQueue({ name: 'fuzz-bulk' });
  const deps: Dependencies & InstanceDeps = {
    ...localTestDependencies({
      stateTable: counted('stateTable', stateTable),
      secretStore: counted('secretStore', createLocalSecretStore({ dataDir: temp.dir })),
    }),
    blobStore: counted('blobStore', createLocalBlobStore({ dataDir: temp.dir })),
    eventsQueue: counted('eventsQueue', eventsQueue),
    bulkQueue: counted('bulkQueue', bulkQueue),
  };
  const server: LocalServerHandle = await startLocalServer({
    env: localServerEnv({ organization: ORG, users: `alice:${ALICE}` }, 'SILENT'),
    dependencies: deps,
    authorizerCacheSeconds: 0,
    logger: createLogger({ serviceName: 'test-fuzz', logLevel: 'SILENT' }),
  });

  let simWritesSeen = 0;
  let simScanned = 0;
  const writes = () => {
    // The log only grows: count the new entries.
    for (; simScanned < sim.requests.length; simScanned++) {
      const entry = sim.requests[simScanned];
      if (
        entry !== undefined &&
        entry.method !== 'GET' &&
        entry.status >= 200 &&
        entry.status < 300 &&
        !entry.path.includes('oauth')
      ) {
        simWritesSeen++;
        recent.push(`ServiceNow ${entry.method} ${entry.path}`);
        if (recent.length > 20) recent.shift();
      }
    }
    return portWrites + simWritesSeen;
  };

  const call = async (method: string, path: string, auth: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { Authorization: auth, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as unknown };
  };

  const provision = async () => {
    const res = await call('POST', '/instances', aliceAuth, basicBody(sim));
    if (res.status !== 200) throw new Error(`provisioning answered ${res.status}`);
    return res.json as { id: number; token: string };
  };

  const first = await provision();
  const world: FuzzWorld = {
    api: server.url,
    sim,
    writes,
    lastWrites: () => [...recent],
    instanceId: first.id,
    token: first.token,
    incidentId: '',
    attachmentId: '',
    jobId: '',
    platformAuth: aliceAuth,
    hubAuth: () => hubAuth(world.token),
    async repair() {
      const current = await call('GET', `/instances/${world.instanceId}`, aliceAuth);
      if (current.status !== 200) {
        const next = await provision();
        world.instanceId = next.id;
        world.token = next.token;
      } else {
        const view = current.json as { disabled?: boolean; token: string };
        world.token = view.token;
        if (view.disabled) await call('PUT', `/instances/${world.instanceId}/enabled`, aliceAuth);
      }
      if (sim.db.get('incident', world.incidentId) === undefined) {
        world.incidentId = sim.db.insert(
          'incident',
          { short_description: 'fuzz target' },
          { userName: 'admin' },
        ).sys_id as string;
      }
    },
    async close() {
      await server.close();
      await eventsQueue.close();
      await bulkQueue.close();
      await sim.close();
      await stateTable.close();
      await temp.cleanup();
    },
  };
  await world.repair();
  // A job to address, and a definition and transformation for the transformation routes.
  const job = await call('POST', '/bulk/download', world.hubAuth(), {
    objectName: 'incidents',
    format: 'text/csv',
  });
  world.jobId = (job.json as { id: string }).id;
  await call('POST', '/organizations/objects/tickets/definitions', aliceAuth, {
    fields: [
      { path: 'id', type: 'string' },
      { path: 'title', type: 'string' },
    ],
  });
  await call('POST', '/organizations/elements/servicenow/transformations/tickets', aliceAuth, {
    vendorName: 'incident',
    fields: [
      { path: 'id', type: 'string', vendorPath: 'sys_id' },
      { path: 'title', type: 'string', vendorPath: 'short_description' },
    ],
  });
  return world;
};
