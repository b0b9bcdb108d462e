/**
 * Transformations: object definitions, per-level field mappings between a
 * common resource and a ServiceNow table, and CEQL on common names.
 *
 * Difference from CE: `script.body` (arbitrary JavaScript) is refused; computed fields use a JSONata
 * `expression` per field, evaluated with a time limit, a depth limit and input/output size limits.
 */

export {
  commonFieldCatalog,
  mapCeqlToVendor,
  mapOrderByToVendor,
  transformedCeqlToEncodedQuery,
} from './ceql';
export {
  checkExpression,
  DEFAULT_EXPRESSION_LIMITS,
  type ExpressionLimits,
  evaluateExpression,
  loadExpressionEngine,
} from './computed';
export {
  commonToVendor,
  DEFAULT_DATE_MASK,
  formatMasked,
  parseIso,
  parseMasked,
  vendorToCommon,
} from './convert';
export {
  commonRecordSchema,
  type DocumentedCommonResource,
  documentedCommonResources,
} from './documentation';
export { toCommon, toVendor } from './map-record';
export { getPath, isDotted, parsePath, type Segment, setPath } from './paths';
export {
  addToDocumentation,
  passThroughOf,
  resolveTransformation,
  type TransformationLevels,
} from './resolve';
export {
  type CommonFieldType,
  checkAgainstDefinition,
  FIELD_TYPES,
  type ObjectConfiguration,
  type ObjectDefinition,
  objectDefinitionSchema,
  parseObjectDefinition,
  parseTransformation,
  type Transformation,
  type TransformationField,
  transformationFieldSchema,
  transformationSchema,
} from './schema';
export { createTransformationService, describeScope, type TransformationService } from './service';
export {
  assertObjectName,
  type CommonResource,
  createTransformationStore,
  definitionKey,
  findCommonResource,
  forgetInstanceTransformations,
  type InstanceRef,
  instanceScope,
  type Level,
  OBJECT_NAME,
  type ObjectRef,
  objectIndexKey,
  plainTransformation,
  refApplies,
  type Scope,
  type StoredDefinition,
  type StoredTransformation,
  scopeOfRef,
  type TransformationStore,
  transformationKey,
} from './store';
export { type TargetLevel, type TransformationTarget, transformationTarget } from './target';
