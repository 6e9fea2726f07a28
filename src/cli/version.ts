// Kept in step with package.json: test/e2e/usage.test.ts compares `fleet --version` with it.
export const VERSION = "0.1.0";
