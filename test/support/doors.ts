/** The door harnesses live one per door in ./doors/; this keeps the suites' imports short. */
export * from './doors/index.js';
