import { transformableElementKey } from '../../shared/elements';
import type { InstanceService } from '../../shared/instances';
import type { TransformationService, TransformationTarget } from '../../shared/transformations';
import { type ApiEvent, pathParam, response } from '../middleware';

export interface TransformationRequest {
  event: ApiEvent;
  userId: string;
  service: TransformationService;
  instances: Pick<InstanceService, 'owned'>;
}

export type Operation = (
  r: TransformationRequest,
  t: TransformationTarget,
  objectName: string | undefined,
) => unknown;

/** The element of an instance-level route, else `{keyOrId}`: `servicenow`, `servicenowoauth`, `145` or `566`. */
const key = (r: TransformationRequest, t: TransformationTarget) =>
  t.elementKey ?? transformableElementKey(pathParam(r.event, 'keyOrId'));

const deleted = async (work: Promise<void>) => {
  await work;
  return response(200);
};

/** Operations below a level prefix; the element part is absent at the instance level. */
export const OPERATIONS: Record<string, Operation> = {
  'GET /objects/definitions': (r, t) => r.service.listDefinitions(t.scope),
  'POST /objects/definitions': (r, t) => r.service.createDefinitions(t.scope, r.event.jsonBody),
  'GET /objects/{objectName}/definitions': (r, t, o) => r.service.getDefinition(t.scope, o),
  'POST /objects/{objectName}/definitions': (r, t, o) =>
    r.service.createDefinition(t.scope, o, r.event.jsonBody),
  'PUT /objects/{objectName}/definitions': (r, t, o) =>
    r.service.replaceDefinition(t.scope, o, r.event.jsonBody),
  'DELETE /objects/{objectName}/definitions': (r, t, o) => deleted(r.service.deleteDefinition(t.scope, o)),
  'PATCH /objects/{objectName}': (r, t, o) => r.service.rename(t.scope, o, r.event.jsonBody),
  'GET {element}/transformations': (r, t) => r.service.listTransformations(t.scope, key(r, t)),
  'GET {element}/transformations/{objectName}': (r, t, o) =>
    r.service.getTransformation(t.scope, key(r, t), o),
  'POST {element}/transformations/{objectName}': (r, t, o) =>
    r.service.createTransformation(t.scope, key(r, t), o, r.event.jsonBody),
  'PUT {element}/transformations/{objectName}': (r, t, o) =>
    r.service.replaceTransformation(t.scope, key(r, t), o, r.event.jsonBody),
  'DELETE {element}/transformations/{objectName}': (r, t, o) =>
    deleted(r.service.deleteTransformation(t.scope, key(r, t), o)),
};
