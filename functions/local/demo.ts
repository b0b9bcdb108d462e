import type { SimulatorHandle } from '../../test/simulator/index';

export type DemoSimulatorHandle = Pick<SimulatorHandle, 'url' | 'close'>;

/**
 * Starts the ServiceNow simulator with its demo data set (the simulator's default `data`) and its
 * default credentials (admin/admin, OAuth demo-client/demo-secret). Imported on demand so
 * `DEMO_SERVICENOW=0` never loads it; it lives under test/ and is never part of a Lambda bundle.
 */
export const startDemoSimulator = async (port: number, host: string): Promise<DemoSimulatorHandle> => {
  const { startSimulator } = await import('../../test/simulator/index');
  return startSimulator({ port, host });
};
