// Shared by every kernel. Large 1-D launches are folded into a 2-D grid by GpuContext.dispatch;
// this recovers the flat workgroup index.
fn flatWorkgroupId(wg: vec3u, groups: vec3u) -> u32 {
  return wg.y * groups.x + wg.x;
}
