// `wgcam`: the package's browser-safe entry (runs in any WebGPU browser, a bundler, or Node with a GPU object of
// its own). Nothing in its import graph is Node-only: test/package.test.ts checks that. Dawn's GPU and the file
// and cache helpers are in `wgcam/node` (src/node/index.ts).

// The session: one GPU context, one ResNet50, and the jobs (classify, Grad-CAM, a training step).
export {
  Wgcam,
  IMAGENET_LABELS,
  parsePrecision,
  readHost,
  readHostAll,
  topK,
  type CamLayerResult,
  type ClassifyResult,
  type GradCamOptions,
  type GradCamResult,
  type HostTensor,
  type Input,
  type JobReport,
  type Prediction,
  type PreparedJob,
  type SessionOptions,
  type TrainStepOptions,
  type TrainStepResult,
} from './session.ts';
export { tuneAdapter, describeKernelConfig, type AdapterTuning, type TuningOptions, type TuningSchedule } from './tuning.ts';
export { VERSION } from './version.ts';

// WebGPU: a context on any `GPU` (navigator.gpu in a browser), and the tensors it holds.
export { createGpuContext, GpuContext, type AdapterDescription, type GpuContextOptions, type KernelTiming, type PipelineStats } from './gpu/context.ts';
export { Tensor, type DType, type TensorView } from './gpu/tensor.ts';
export { memoryTuningStore, type GemmTuning, type TuningStore } from './kernels/gemm/tuner.ts';
export type { GemmOperands } from './kernels/gemm/tiles.ts';

// Weights: from bytes or a URL (streamed, SHA-256 checked), the pretrained file's identity, synthetic weights.
export {
  PRETRAINED,
  WEIGHT_ERROR_CODES,
  downloadWithProgress,
  loadWeightsFromBytes,
  loadWeightsFromUrl,
  sha256Hex,
  type LoadWeightsFromUrlOptions,
  type PretrainedInfo,
  type ProgressCallback,
  type WeightErrorCode,
  type WeightsSource,
} from './model/weights.ts';
export { SYNTHETIC_NAME, syntheticResNet50, syntheticSafetensors } from './model/synthetic.ts';
export {
  readSafetensors,
  writeSafetensors,
  type RawTensor,
  type ReadOptions,
  type SafetensorsFile,
  type TensorToWrite,
  type TensorsToWrite,
} from './model/safetensors.ts';
export { ResNet50, camLayerPaths, type ForwardOptions, type ForwardResult, type WeightMap } from './model/resnet50.ts';
export { NUM_CLASSES, isModulePath, modulePaths, parameterNames } from './model/architecture.ts';

// Pictures: decoding in a browser, torchvision's ImageNet preprocessing on the GPU.
export { decodeImageBlob, rgbFromBitmap } from './image/decode_browser.ts';
export { preprocessImages, type PreprocessOptions, type PreprocessResult } from './image/preprocess.ts';
export type { RgbImage } from './image/types.ts';

// Grad-CAM's colormaps and overlay.
export { COLORMAPS, colormapNames, type ColormapName } from './cam/colormaps.ts';
export { renderOverlay } from './cam/gradcam.ts';

// The CAM method family: the registry (one seam, as pytorch-grad-cam's BaseCAM) and Wgcam.explain's types.
export {
  CAM_METHODS,
  camMethodNames,
  resolveCamMethods,
  type CamLayerInput,
  type CamMethod,
  type CamProgress,
  type CamRequest,
  type CamRun,
} from './cam/method.ts';
export type { ExplainOptions, ExplainResult, GuidedResult, MethodResult } from './cam/explain.ts';
export { CAM_METRICS, type CamMetricName } from './cam/metrics.ts';

// The kernels' choices on a context (adapter-class priors, overrides, the GEMM tile tuner).
export type { AdapterClass, KernelConfig, ReductionStyle, WindowRule } from './kernels/config.ts';

// Errors: every WgcamError carries a stable code, explained in ERROR_CODES.
export { WgcamError } from './errors.ts';
export { ERROR_CODES, type ErrorCodeInfo } from './error_codes.ts';
