import { Construct } from 'constructs';
import type { ElementFunction } from './element-function';
import type { Foundation } from './foundation';
import { grantStateTableData } from './instances';

export interface TransformationsConstructProps {
  foundation: Foundation;
  /** The transformations function (functions/transformations/handler.ts: object definitions, transformations). */
  transformationsFunction: ElementFunction;
}

/**
 * The "transformations" capability: the grants of the platform function that manages object definitions
 * and transformations. Definitions and transformations are state
 * table items, and the instances it checks are too, so it gets the table (items, gsi1) and the stack key
 * that encrypts it, and NO instance secret: it never calls ServiceNow.
 *
 * The functions that apply transformations (hub, events poller and dispatcher, bulk API and worker) read
 * them from the same table with the grants they already have (grantInstanceData); nothing to add for them.
 */
export class TransformationsConstruct extends Construct {
  constructor(scope: Construct, id: string, props: TransformationsConstructProps) {
    super(scope, id);
    grantStateTableData(props.transformationsFunction, props.foundation);
  }
}
