// The package's version, as package.json gives it (test/package.test.ts keeps the two equal). CHANGELOG.md says
// what each version changed.
export const VERSION = '0.1.0';
