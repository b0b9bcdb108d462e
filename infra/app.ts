// Entry point of `cdk synth` / `cdk deploy` (cdk.json: `npx tsx infra/app.ts`).
import { createElementApp } from './element-app';

createElementApp().app.synth();
