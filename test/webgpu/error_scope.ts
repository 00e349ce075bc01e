// Device errors fail WebGPU tests (a bad shader otherwise silently yields zeros): validation, internal and
// out-of-memory error scopes around a unit of work, plus errors the device reports outside any scope.

/** Pushes the three error scopes; the returned function pops them and resolves to the errors caught. */
export function openErrorScopes(device: GPUDevice): () => Promise<GPUError[]> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('internal');
  device.pushErrorScope('validation');
  return async () => [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()]
      .filter((e): e is GPUError => e !== null);
}

/** Collects the device's uncaptured errors into `into` (messages), from now on. */
export function collectUncaptured(device: GPUDevice, into: string[]): void {
  device.addEventListener('uncapturederror', (e: Event) => into.push(String((e as GPUUncapturedErrorEvent).error?.message ?? e)));
}

/**
 * A frame check for the kernel harness (HarnessConfig.frameCheck): scopes around the frame; resolves to
 * one description of every error caught (and uncaptured ones collected since), or null.
 */
export function scopedFrameCheck(device: GPUDevice, uncaptured: string[]): () => Promise<string | null> {
  const close = openErrorScopes(device);
  return async () => {
    const msgs = (await close()).map((e) => `${e.constructor?.name ?? 'GPUError'}: ${e.message}`);
    msgs.push(...uncaptured.splice(0).map((m) => `uncaptured: ${m}`));
    return msgs.length ? `device errors: ${msgs.join(' | ').slice(0, 2000)}` : null;
  };
}
