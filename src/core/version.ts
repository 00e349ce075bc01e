/** The package version (kept equal to package.json's by a spec: test/calibrate). */
export const VERSION = '0.1.0';
