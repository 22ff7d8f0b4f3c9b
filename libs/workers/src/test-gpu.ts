import { nativeStatus, type NativeGpuInfo } from '@verilay/native';
import { probeGpu } from './open-gpu';

/**
 * The adapter the GPU specs run on (CI: Mesa's lavapipe), or undefined: those specs are then
 * skipped with a line saying why, unless VERILAY_REQUIRE_GPU=1, where a missing adapter is a
 * failure (as VERILAY_REQUIRE_SERVERS makes a missing Redis one: libs/queue's testRedisUrl).
 * VERILAY_NATIVE=off (CI's fallback run) has no GPU to require: they skip there.
 */
export function testGpuAdapter(): NativeGpuInfo | undefined {
  const probe = probeGpu();
  if ('adapter' in probe) return probe.adapter;
  if (process.env.VERILAY_REQUIRE_GPU === '1' && nativeStatus().mode !== 'off')
    throw new Error(`VERILAY_REQUIRE_GPU=1, but no GPU adapter opens: ${probe.reason}`);
  console.warn(`GPU specs skipped: no GPU adapter opens (${probe.reason})`);
  return undefined;
}
