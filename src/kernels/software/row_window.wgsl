// A window of 12 values along one row of an image (11 used), for the window kernels
// (software/conv2d_window.wgsl, conv2d_backward_input_window.wgsl): a thread owns 8 neighbouring pixels of an output
// row, and for one input row all its taps read the same few neighbouring values, each tap shifted by one. The
// window holds them once, and `windowShift` hands each tap its 8 values by a swizzle (its `s` is a constant at
// every call, so the compiler keeps one branch). Entry e of the window is row column first + step * e: step 1
// for stride-1 taps; at stride 2 a forward reads an even and an odd window, each tap of one stride phase shifted
// by one entry from the last. Entries outside [0, size) read a clamped address and are multiplied by 0, so
// loading a window has no branch.
// The including kernel provides `fn rowValue(i: u32) -> f32`, the value at flat index i of the image it reads.

struct Window { v0: vec4f, v1: vec4f, v2: vec4f }

// Eight consecutive entries of a window: lo holds entries s to s + 3, hi s + 4 to s + 7.
struct Pixels { lo: vec4f, hi: vec4f }

// Where window entries 4v to 4v + 3 lie in a row of `size` columns: their clamped columns (valid addresses) and
// a mask, 1 inside the row and 0 outside.
struct WindowColumns { cols: vec4u, mask: vec4f }

fn windowColumns(first: i32, step: i32, v: i32, size: u32) -> WindowColumns {
  let c = vec4i(first + 4 * v * step) + vec4i(0, 1, 2, 3) * step;
  let inside = (c >= vec4i(0)) & (c < vec4i(i32(size)));
  return WindowColumns(vec4u(clamp(c, vec4i(0), vec4i(i32(size) - 1))), select(vec4f(0.0), vec4f(1.0), inside));
}

// Where a thread's window lies in every row it reads: the same for each row, so found once per thread.
struct WindowPlace { c0: WindowColumns, c1: WindowColumns, c2: WindowColumns }

// The window whose entry e is row column first + step * e, in rows of `size` columns.
fn windowPlace(first: i32, step: u32, size: u32) -> WindowPlace {
  let s = i32(step);
  return WindowPlace(windowColumns(first, s, 0, size), windowColumns(first, s, 1, size), windowColumns(first, s, 2, size));
}

// The window of the row that starts at flat index `row`.
fn loadWindow(row: u32, at: WindowPlace) -> Window {
  let v0 = vec4f(rowValue(row + at.c0.cols.x), rowValue(row + at.c0.cols.y), rowValue(row + at.c0.cols.z), rowValue(row + at.c0.cols.w));
  let v1 = vec4f(rowValue(row + at.c1.cols.x), rowValue(row + at.c1.cols.y), rowValue(row + at.c1.cols.z), rowValue(row + at.c1.cols.w));
  let v2 = vec4f(rowValue(row + at.c2.cols.x), rowValue(row + at.c2.cols.y), rowValue(row + at.c2.cols.z), rowValue(row + at.c2.cols.w));
  return Window(v0 * at.c0.mask, v1 * at.c1.mask, v2 * at.c2.mask);
}

// The window times m (0 for a row outside the image, 1 inside).
fn scaleWindow(w: Window, m: f32) -> Window {
  return Window(w.v0 * m, w.v1 * m, w.v2 * m);
}

fn windowShift(w: Window, s: u32) -> Pixels {
  switch (s) {
    case 0u: { return Pixels(w.v0, w.v1); }
    case 1u: { return Pixels(vec4f(w.v0.yzw, w.v1.x), vec4f(w.v1.yzw, w.v2.x)); }
    case 2u: { return Pixels(vec4f(w.v0.zw, w.v1.xy), vec4f(w.v1.zw, w.v2.xy)); }
    default: { return Pixels(vec4f(w.v0.w, w.v1.xyz), vec4f(w.v1.w, w.v2.xyz)); }
  }
}
