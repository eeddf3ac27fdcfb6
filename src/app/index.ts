/** The application layer: one way to load a program and run a job, used by the CLI, the server and the benches. */
export { UserError, ProgramErrors, formatErrors, type SourceFile } from './errors.js';
export {
  packageRoot,
  defaultPaths,
  loadRegistry,
  functionsFor,
  collectFiles,
  readSources,
  displayPath,
  loadProgram,
  inputPath,
  outputPath,
  withDependencies,
  type LoadedProgram,
} from './program.js';
export { recordParser, trafficCheck, type RecordCheck, type RecordParserOptions } from './record-parser.js';
export { trafficFeed, countedNotes, type TrafficFeed, type TrafficFeedOptions } from './traffic-feed.js';
export { registryReport, formatRegistryReport, type AttributeGap, type RegistryReport } from './registry-report.js';
export { compileJob, createTask, runJob, buildOrReport, type JobSetup, type JobSummary } from './job.js';
export { runEmbedded, type EmbeddedRun, type EmbeddedSummary, type Terminal } from './embedded.js';
export { firstSeenLookup, lookupSignatures, lookupsFor, openFirstSeenStore, seedKnownVehicles } from './lookups.js';
export { loadTrafficProgram, checkStreamNames, registryGapsText, runTraffic, type ProgramPaths, type TrafficProgram, type TrafficRunOptions, type TrafficRunSummary } from './traffic.js';
export { declaredChecks, declaredFieldsCheck, domainSchemas, feedMapper } from './sources.js';
export { parseInputs, resolveInputs, type NamedInputs } from './inputs.js';
