// Every stable `code` a WgcamError carries, with what it means and what to do. TROUBLESHOOTING.md's
// table is generated from this; test/fuzz_safetensors.test.ts greps src/ for `new WgcamError('CODE'` and
// `weightsError('CODE'` and fails when a thrown code is missing here (or listed here but thrown nowhere), and
// when that page is out of date (scripts/troubleshooting.ts writes its table). Browser-safe: data only.

export interface ErrorCodeInfo {
  /** What went wrong, in one sentence. */
  what: string;
  /** What to do about it. */
  fix: string;
}

export const ERROR_CODES: Record<string, ErrorCodeInfo> = {
  // ---- command line and arguments ----
  BAD_ARGUMENT: {
    what: 'A command-line flag or API argument is missing, malformed or out of range (e.g. `--top 0`, `--image` with `--tensor`, a flag value that is not a number), or a picture is above the decoder\'s 200-megapixel limit.',
    fix: 'Read the message, then `wgcam <command> --help` for the flags and their values; scale a giant picture down first.',
  },
  UNKNOWN_FLAG: {
    what: 'The command does not have this flag.',
    fix: 'The message lists the known flags; see `wgcam <command> --help`.',
  },
  BAD_TARGETS: {
    what: 'A Grad-CAM target or training label is not a class index in [0, 999], or there is not exactly one per image.',
    fix: 'Pass `--target top` or comma-separated integers in [0, 999], one per image (`--labels 3,7` for train-step).',
  },
  BAD_ALPHA: {
    what: 'The overlay opacity is outside [0, 1].',
    fix: 'Use e.g. `--alpha 0.5`.',
  },
  UNKNOWN_COLORMAP: {
    what: 'The colormap name is not one of the built-in lookup tables.',
    fix: 'Use one of the names the message lists (jet, turbo, viridis, inferno).',
  },
  UNKNOWN_LAYER: {
    what: 'The Grad-CAM layer is not a ResNet50 module path.',
    fix: 'Use a torchvision module path such as `layer4`, `layer3.5` or `layer4.2.conv3`.',
  },
  UNKNOWN_PARAMETER: {
    what: 'A parameter asked for with `--grads` is not a ResNet50 state-dict name.',
    fix: 'Use torchvision names such as `conv1.weight`, `layer1.0.conv2.weight`, `bn1.bias`, `fc.weight`.',
  },
  UNKNOWN_METHOD: {
    what: 'A CAM method asked for with `--method` (or the library\'s `methods`) is not one wgcam has.',
    fix: 'Use the names the message lists (gradcam, hirescam, gradcam++, ...), comma-separated, or `all`.',
  },
  NO_PICTURE: {
    what: '`--out` needs a picture to draw the overlay on, and the `--tensor` file has none.',
    fix: 'Use `--image`, or add an `image` uint8 [H,W,3] tensor to the safetensors file, or use `--dump` instead of `--out`.',
  },
  UNSUPPORTED_PLATFORM: {
    what: 'Writing safetensors needs a little-endian machine.',
    fix: 'Run on x86-64 or ARM (every platform WebGPU supports is little-endian).',
  },

  // ---- input tensors ----
  BAD_INPUT_SHAPE: {
    what: 'The network input is not [N,3,H,W] with H and W at least 32, or a `--tensor` file\'s `image` does not match its `input`.',
    fix: 'Give `input` as float32 [N,3,H,W] (e.g. [1,3,224,224]) and `image` as uint8 [H,W,3] or [N,H,W,3] of the same size.',
  },
  TENSOR_MISSING_INPUT: {
    what: 'The `--tensor` safetensors file has no tensor named `input`.',
    fix: 'Save the normalised batch as `input` (float32 [N,3,H,W]), or use `--image` with a picture.',
  },
  TENSOR_TOO_LARGE: {
    what: 'A tensor would exceed the GPU\'s largest storage buffer binding.',
    fix: 'Use a smaller batch or smaller input images.',
  },

  // ---- images ----
  IMAGE_NOT_FOUND: {
    what: 'The image path does not exist, is a folder, or cannot be read.',
    fix: 'Check the path and the file\'s permissions.',
  },
  IMAGE_EMPTY: {
    what: 'The image file has zero bytes.',
    fix: 'Copy or download the picture again.',
  },
  IMAGE_NOT_AN_IMAGE: {
    what: 'The file is neither PNG nor JPEG (told by its first bytes, not its extension), or the browser cannot decode it.',
    fix: 'Convert it to PNG or JPEG (e.g. `convert in.webp out.png`).',
  },
  IMAGE_TRUNCATED: {
    what: 'The PNG or JPEG is damaged or cut short and could not be decoded.',
    fix: 'Copy or download the picture again, or re-save it with an image editor.',
  },
  IMAGE_ZERO_SIZE: {
    what: 'The image has zero width or height.',
    fix: 'Use a real picture.',
  },

  // ---- weights files ----
  FILE_NOT_FOUND: {
    what: 'A weights or `--tensor` file does not exist, is a folder, or cannot be read.',
    fix: 'Check the path; for weights, `--weights pretrained` or `--weights synthetic` need no file.',
  },
  WEIGHTS_EMPTY: {
    what: 'The weights file or download has zero bytes.',
    fix: 'Download it again or check the path.',
  },
  WEIGHTS_NOT_SAFETENSORS: {
    what: 'The file is not safetensors: a PyTorch .pth/.bin checkpoint (zip or pickle), an HTML error page, or something else.',
    fix: 'Convert the state dict with `safetensors.torch.save_file(model.state_dict(), "model.safetensors")`, or download the .safetensors file again.',
  },
  WEIGHTS_HEADER_TOO_LARGE: {
    what: 'The 8-byte header length says more than 100 MB: the file is not safetensors or is corrupt.',
    fix: 'Use a real .safetensors file; download it again.',
  },
  WEIGHTS_HEADER_PAST_END: {
    what: 'The safetensors header runs past the end of the file (the file is truncated), or the file shrank while being read.',
    fix: 'Download or copy the file again.',
  },
  WEIGHTS_BAD_JSON: {
    what: 'The safetensors header is not valid UTF-8 JSON, or has the wrong structure (an entry that is not an object, a bad shape, a `__metadata__` that is not a map of strings).',
    fix: 'The file is corrupt: download it again or re-save it with the Python `safetensors` package.',
  },
  WEIGHTS_BAD_DTYPE: {
    what: 'A tensor has an unknown dtype, or one that cannot be used where it appears (e.g. an integer weight, an I64 value beyond 2^53).',
    fix: 'Save the weights as F32, F16, BF16 or F64 (the usual `state_dict()` does).',
  },
  WEIGHTS_BAD_OFFSETS: {
    what: 'A tensor\'s `data_offsets` are malformed, run past the end of the file, or leave unused bytes between or after tensors.',
    fix: 'The file is truncated or corrupt: download it again or re-save it with the Python `safetensors` package.',
  },
  WEIGHTS_OVERLAP: {
    what: 'Two tensors share bytes of the data section.',
    fix: 'The file is corrupt: re-save it with the Python `safetensors` package.',
  },
  WEIGHTS_SHAPE_MISMATCH: {
    what: 'A tensor\'s byte count differs from product(shape) x dtype size.',
    fix: 'The file is corrupt: download it again or re-save it.',
  },
  WEIGHTS_MISSING_TENSOR: {
    what: 'A ResNet50 tensor is missing (or none is present): the file is not a torchvision ResNet50 state dict.',
    fix: 'Use torchvision ResNet50 weights, e.g. timm `resnet50.tv_in1k`; `module.` and `model.` prefixes are accepted.',
  },
  WEIGHTS_WRONG_SHAPE: {
    what: 'A tensor has a shape other than torchvision ResNet50\'s: the weights belong to another model (ResNet18/101, a fine-tune with another class count...).',
    fix: 'Use ResNet50 weights with 1000 ImageNet classes.',
  },
  WEIGHTS_NON_FINITE: {
    what: 'A weight is NaN or infinite.',
    fix: 'The file is corrupt or the training diverged: use other weights.',
  },
  DOWNLOAD_FAILED: {
    what: 'The weights could not be downloaded (network error, HTTP error, or a body shorter than announced).',
    fix: 'Check the network; offline, copy the file into the cache (see weights/README.md) or use `--weights synthetic` or a local .safetensors file.',
  },
  CHECKSUM_MISMATCH: {
    what: 'The downloaded weights\' SHA-256 differs from the expected one; nothing was cached.',
    fix: 'Try again (a proxy or captive portal may have altered the download).',
  },
  NO_WEBCRYPTO: {
    what: 'The page cannot verify the weights\' SHA-256: `crypto.subtle` exists only in secure contexts.',
    fix: 'Serve the page over https or from localhost.',
  },

  // ---- GPU ----
  NO_ADAPTER: {
    what: 'No WebGPU adapter was found: no Vulkan driver (Node/Dawn) or no WebGPU in this browser.',
    fix: 'On Debian 12: `apt-get install -t bookworm-backports mesa-vulkan-drivers` (lavapipe, a software Vulkan driver); in a browser, use a recent Chrome or Edge.',
  },
  DEVICE_LOST: {
    what: 'The GPU device was lost (driver reset, out of memory, or destroyed).',
    fix: 'Retry: the next call creates a new device. If it repeats, use a smaller batch or image.',
  },
  NO_SHADER_F16: {
    what: 'f16 precision was asked for, but this adapter does not offer WebGPU\'s `shader-f16` feature.',
    fix: 'Use `--precision f32` (the default), or an adapter with `shader-f16` (most GPUs, and lavapipe; not SwiftShader; NVIDIA in Chrome only with `--enable-dawn-features=vulkan_enable_f16_on_nvidia`).',
  },

  // ---- browser app ----
  SAMPLE_MISSING: {
    what: 'A bundled sample image could not be fetched by the web app.',
    fix: 'Rebuild the app (`npm run build`) or check that the server serves the samples folder.',
  },
  NO_CAMERA: {
    what: 'The browser offers no camera access on this page.',
    fix: 'Serve the page over https or from localhost, and allow camera access.',
  },
};
