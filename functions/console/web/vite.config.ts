import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console's browser build: `index.html` plus hashed `assets/*` in `dist/`, with relative URLs so the
 * API can serve it under any base path. Nothing is inlined (the server's CSP is `default-src 'self'`):
 * no data: URLs for assets, no inline module-preload polyfill.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // The API reference's renderer alone is over the default 500 kB warning.
    chunkSizeWarningLimit: 2_000,
    sourcemap: false,
    // The timing report is about the bundler, not the app: keep `npm ci` and `npm test` output quiet.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
