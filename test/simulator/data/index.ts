export { DEMO_DATA, type SeedOptions, type SeedSummary, seedData } from './generator';
export { Random } from './random';
export { INCIDENT_CATEGORIES, INCIDENT_STATES, PRIORITY, SIM_TABLES } from './schema';
