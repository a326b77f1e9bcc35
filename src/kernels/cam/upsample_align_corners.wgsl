// torch.nn.UpsamplingBilinear2d (bilinear, align_corners=True) of one [h, w] plane at output pixel (oy, ox), as
// PyTorch's CPU kernel computes it: per axis src = scale * d with scale = (in - 1) / (out - 1) in f32 (0 for an
// output of one pixel), i0 = floor(src), the weight of the second tap clamped to [0, 1], that tap i0 + 1 unless
// i0 is the last index; rows are combined last. Not OpenCV's half-pixel resize (cam_resize_bilinear.wgsl).

struct UpsampleTap { i0: u32, i1: u32, f: f32 }

fn upsampleTap(d: u32, size: u32, scale: f32) -> UpsampleTap {
  let src = scale * f32(d);
  let i0 = min(u32(floor(src)), size - 1u);
  let f = clamp(src - f32(i0), 0.0, 1.0);
  return UpsampleTap(i0, select(i0, i0 + 1u, i0 + 1u < size), f);
}

/** plane: the offset of the [h, w] plane in `upsampleSource`. */
fn upsampleAlignCorners(plane: u32, h: u32, w: u32, oy: u32, ox: u32, scaleY: f32, scaleX: f32) -> f32 {
  let ty = upsampleTap(oy, h, scaleY);
  let tx = upsampleTap(ox, w, scaleX);
  let r0 = plane + ty.i0 * w;
  let r1 = plane + ty.i1 * w;
  let top = (1.0 - tx.f) * upsampleSource[r0 + tx.i0] + tx.f * upsampleSource[r0 + tx.i1];
  let bottom = (1.0 - tx.f) * upsampleSource[r1 + tx.i0] + tx.f * upsampleSource[r1 + tx.i1];
  return (1.0 - ty.f) * top + ty.f * bottom;
}
