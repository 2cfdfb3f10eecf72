// Kept in step with package.json (a test checks); a constant so the bundled CLI needs no file.
export const VERSION = '0.1.0'
