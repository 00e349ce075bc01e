/**
 * `tfjs-backend-delta/cli`: the Node helpers behind the tfjs-delta command, for scripts and tests —
 * the model catalog, loading graph models from disk, decoding video with ffmpeg, pose keypoints and
 * agreement metrics, running a model over frames. Node only (child processes, file system).
 */
export * from './catalog';
export * from './models';
export * from './video';
export * from './keypoints';
export * from './metrics';
export {packageRoot, cacheDir, sampleClip, knownClips, resolveVideo} from './paths';
export {runFrame, runPass} from './runner';
export {denseReference, measureDrift} from './drift';
export type {DriftOptions, DriftResult, DriftRow} from './drift';
export {taskMetricFor} from './task';
export type {LayerSeries, PassOptions, PassResult} from './runner';
export {CliError, UsageError} from './errors';
