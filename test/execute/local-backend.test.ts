import { describeBackend } from './backend-conformance.js';
import { localBackend } from '../../src/execute/factory.js';

// The in-process backend against the promises every backend keeps.
describeBackend('local', localBackend);
