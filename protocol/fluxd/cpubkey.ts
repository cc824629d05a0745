/**
 * Serialized length of a CPubKey, decided by its first byte (fluxd `src/pubkey.h`):
 * compressed keys are 33 bytes, uncompressed/hybrid keys 65, anything else is invalid (0).
 */
export function cpubkeyLength(firstByte: number): 0 | 33 | 65 {
  if (firstByte === 0x02 || firstByte === 0x03) return 33;
  if (firstByte === 0x04 || firstByte === 0x06 || firstByte === 0x07) return 65;
  return 0;
}
