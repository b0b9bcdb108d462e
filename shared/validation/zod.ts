/**
 * zod/mini with English messages: the one zod every schema imports, as `import * as z from
 * '../validation/zod'`. zod/mini is tree-shaken to what each bundle uses (classic zod is ~450 KB in
 * every bundle that imports it), but unlike classic zod it sets no locale, so without this every issue
 * would read "Invalid input" instead of e.g. "Too big: expected string to have <=200 characters".
 */
// The one module of this package with a side effect (`sideEffects` in package.json): bundles drop every
// other module whose exports they never use, such as schemas reached through a barrel.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

export * from 'zod/mini';
