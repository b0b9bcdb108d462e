import type { Plugin } from 'esbuild';

export declare const DEFERRED_BUILTIN_IMPORTS: readonly {
  file: RegExp;
  edits: readonly { statement: string; replacement: string }[];
}[];
export declare const deferredBuiltinImportsPlugin: Plugin;
