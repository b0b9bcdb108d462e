import packageJson from '../../package.json' with { type: 'json' };

/** The package version, reported by `GET /ping`; esbuild inlines it into each bundle. */
export const APP_VERSION: string = packageJson.version;
