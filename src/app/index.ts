/** The application layer: one way to load a program and run a job, used by the CLI, the server and the benches. */

export { type EmbeddedRun, type EmbeddedSummary, runEmbedded, type Terminal } from './embedded.js';
export { formatErrors, ProgramErrors, type SourceFile, UserError } from './errors.js';
export { type NamedInputs, parseInputs, resolveInputs } from './inputs.js';
export { buildOrReport, compileJob, createTask, type JobSetup, type JobSummary, runJob } from './job.js';
export { firstSeenLookup, lookupSignatures, lookupsFor, openFirstSeenStore, seedKnownVehicles } from './lookups.js';
export {
  collectFiles,
  defaultPaths,
  displayPath,
  functionsFor,
  inputPath,
  type LoadedProgram,
  loadProgram,
  loadRegistry,
  outputPath,
  packageRoot,
  readSources,
  withDependencies,
} from './program.js';
export { type RecordCheck, type RecordParserOptions, recordParser, trafficCheck } from './record-parser.js';
export { type AttributeGap, formatRegistryReport, leafStreams, type RegistryReport, registryReport } from './registry-report.js';
export { declaredChecks, declaredFieldsCheck, domainSchemas, feedMapper } from './sources.js';
export {
  checkStreamNames,
  loadTrafficProgram,
  type ProgramPaths,
  registryGapsText,
  runTraffic,
  type TrafficProgram,
  type TrafficRunOptions,
  type TrafficRunSummary,
} from './traffic.js';
export { countedNotes, type TrafficFeed, type TrafficFeedOptions, trafficFeed } from './traffic-feed.js';
