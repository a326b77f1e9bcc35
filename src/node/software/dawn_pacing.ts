// Dawn's Node binding spins the JS thread while it waits, and on a CPU adapter that spin takes cores the
// adapter's own threads need. This module paces it.
//
// While a promise of the binding is pending (onSubmittedWorkDone, mapAsync), the binding keeps its event loop
// turning by calling `globalThis.setImmediate` with a native tick function, and again from each tick: the JS
// thread spins on a core for as long as the GPU works. On a GPU that core is idle anyway. On lavapipe or
// SwiftShader the "GPU" is a pool of worker threads, one per core, and the spin takes one of those cores
// (bench/NOTES.md, "Dawn's busy-wait paced on software adapters").
//
// Paced, each of the binding's ticks goes through setTimeout(0) instead of setImmediate: a wait ends at most a
// timer tick after its work (CPU adapters' runs take milliseconds), and the JS thread sleeps in between. Every other setImmediate call goes to Node's own, unchanged. `createNodeGpuContext` paces while a
// context on a software adapter is open (WGCAM_DAWN_WAIT says otherwise); a GPU's waits are never paced.

import type { DawnWaitSetting } from '../../kernels/config.ts';

/** Whether a context on this adapter paces: 'auto' paces software adapters only, so a GPU's waits never lose time. */
export function pacesDawnTicks(setting: DawnWaitSetting, softwareAdapter: boolean): boolean {
  return setting === 'paced' || (setting === 'auto' && softwareAdapter);
}

/**
 * The binding's tick: an anonymous native function (Napi::Function::New). Node's own callers, and a user's,
 * pass JavaScript functions; a bound function has a name ("bound f"). Another addon's anonymous native
 * callback would also be paced, which delays it by a timer tick and changes nothing else.
 */
export function isDawnTick(callback: unknown): boolean {
  return (
    typeof callback === 'function' &&
    callback.name === '' &&
    callback.length === 0 &&
    Function.prototype.toString.call(callback) === 'function () { [native code] }'
  );
}

let holders = 0;
let nodeSetImmediate: typeof setImmediate | null = null;
let pacedSetImmediate: typeof setImmediate | null = null;

/** Whether Dawn's ticks are paced now. */
export function dawnTicksPaced(): boolean {
  return pacedSetImmediate !== null && globalThis.setImmediate === pacedSetImmediate;
}

/** One line for `wgcam info` and bench reports: how this process waits for Dawn now. */
export function describeDawnWait(): string {
  return dawnTicksPaced()
    ? "Dawn waits: paced (the binding's ticks through setTimeout(0), so a CPU adapter keeps every core; WGCAM_DAWN_WAIT=spin to compare)"
    : "Dawn waits: spinning (the binding's ticks through setImmediate; on a CPU adapter WGCAM_DAWN_WAIT=paced frees a core)";
}

/**
 * Pace the binding's ticks until the returned release is called (each holder releases once; the last one
 * restores Node's setImmediate, unless something else has replaced it since).
 */
export function paceDawnTicks(): () => void {
  if (holders++ === 0) {
    const original = globalThis.setImmediate;
    const paced = function (this: unknown, callback: (...args: unknown[]) => void, ...args: unknown[]) {
      return isDawnTick(callback) ? setTimeout(callback, 0) : Reflect.apply(original, this, [callback, ...args]);
    };
    // util.promisify(setImmediate) and friends read properties of the function itself.
    Object.defineProperties(paced, Object.getOwnPropertyDescriptors(original));
    nodeSetImmediate = original;
    pacedSetImmediate = paced as unknown as typeof setImmediate;
    globalThis.setImmediate = pacedSetImmediate;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    if (globalThis.setImmediate === pacedSetImmediate) globalThis.setImmediate = nodeSetImmediate!;
    nodeSetImmediate = null;
    pacedSetImmediate = null;
  };
}
